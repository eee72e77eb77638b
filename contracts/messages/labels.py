"""Allure labels for the message contract tests (the marks `@allure.epic/feature/story` set, but typed)."""

from __future__ import annotations

import pytest

FEATURE = "message contracts"


def labelled(epic: str, story: str, feature: str = FEATURE) -> list[pytest.MarkDecorator]:
    """`pytestmark` of a module: its epic, feature and story in the Allure Behaviors tab."""
    return [pytest.mark.allure_label(value, label_type=kind) for kind, value in
            (("epic", epic), ("feature", feature), ("story", story))]  # fmt: skip
