"""Fuzz the File Service's API (no authentication). Starting uploads with generated names and sizes leaves
pending uploads behind (each its own id); nothing is stored until bytes are uploaded, which fuzzing never does."""

from __future__ import annotations

from typing import Any

import schemathesis

from contracts.fuzz.conftest import CHECKS, FUZZ

schema = schemathesis.pytest.from_fixture("files_schema")


@schema.parametrize()
@FUZZ
def test_files_api(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(checks=CHECKS)
