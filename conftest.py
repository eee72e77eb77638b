"""Pytest plugins shared by every test tree (pytest only honours `pytest_plugins` in the root conftest)."""

pytest_plugins = [
    "tests.plugins.stack",
    "tests.plugins.clients",
    "tests.plugins.allure_labels",
    "tests.plugins.messaging_rig",
    "tests.plugins.alerts",
    "tests.plugins.traces",
]
