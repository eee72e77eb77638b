"""Fuzz the MES's API as an operator. Generated job ids name nothing, so no real production job is advanced."""

from __future__ import annotations

from typing import Any

import schemathesis

from contracts.fuzz.conftest import CHECKS, FUZZ

schema = schemathesis.pytest.from_fixture("mes_schema")


@schema.parametrize()
@FUZZ
def test_mes_api(case: schemathesis.Case[Any], operator_headers: dict[str, str]) -> None:
    case.call_and_validate(headers=operator_headers, checks=CHECKS)
