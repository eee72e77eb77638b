"""Fuzz the File Service's API as a customer (every route but health and metrics needs a token). Starting
uploads with generated names and sizes leaves pending uploads behind (each its own id), which the service's
sweeper removes once they are stale; nothing is stored until bytes are uploaded, which fuzzing never does."""

from __future__ import annotations

from typing import Any

import schemathesis

from contracts.fuzz.conftest import CHECKS, FUZZ

schema = schemathesis.pytest.from_fixture("files_schema")


@schema.parametrize()
@FUZZ
def test_files_api(case: schemathesis.Case[Any], customer_headers: dict[str, str]) -> None:
    case.call_and_validate(headers=customer_headers, checks=CHECKS)
