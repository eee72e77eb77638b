"""Fuzz the CRM's API as a customer (operator-only operations, tagged `operations`, as an operator).

Generated order and file ids name nothing, so no existing order is confirmed, cancelled or delivered; a
placed order would need a stored file, which fuzzing never uploads."""

from __future__ import annotations

from typing import Any

import schemathesis

from contracts.fuzz.conftest import CHECKS, FUZZ

schema = schemathesis.pytest.from_fixture("crm_schema")


@schema.parametrize()
@FUZZ
def test_crm_api(
    case: schemathesis.Case[Any], customer_headers: dict[str, str], operator_headers: dict[str, str]
) -> None:
    headers = operator_headers if "operations" in (case.operation.tags or []) else customer_headers
    case.call_and_validate(headers=headers, checks=CHECKS)
