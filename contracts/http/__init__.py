"""HTTP contracts: consumer pact tests (`consumers/`) and provider verification (`providers/`)."""

from __future__ import annotations

import pytest

FEATURE = "API contracts (HTTP)"


def labels(story: str) -> list[pytest.MarkDecorator]:
    """Allure feature and story of an HTTP contract test, as `@allure.feature/story` set them (the epic comes
    from tests/plugins/allure_labels.py); typed, unlike allure's decorators."""
    label = pytest.mark.allure_label
    return [label(FEATURE, label_type="feature"), label(story, label_type="story")]
