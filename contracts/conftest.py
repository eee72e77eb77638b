"""The contracts suite: which pact files the provider tests verified in this run (for can-i-deploy).

A provider test is a test under a `providers/` folder parametrised by a pact file (a `Path` to a `.json`
parameter): HTTP and message verifications alike. Its outcome is recorded per test; `can_i_deploy` tests run
after all of them.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest

# (pact file, test id) -> passed, for every provider test that ran in this session (the last attempt counts).
VERIFICATIONS = pytest.StashKey[dict[tuple[Path, str], bool]]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[VERIFICATIONS] = {}
    config.addinivalue_line("markers", "can_i_deploy: judges the provider verifications of this run (runs last)")


def pact_params(item: pytest.Item) -> list[Path]:
    """The pact files a provider test is parametrised by (none for any other test)."""
    if "providers" not in item.path.parts:
        return []
    params = getattr(getattr(item, "callspec", None), "params", {})
    return [p.resolve() for p in params.values() if isinstance(p, Path) and p.suffix == ".json"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("can_i_deploy") is not None)  # stable: the rest keep order


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, object, object]:
    report = yield
    outcome = getattr(report, "outcome", "")
    if call.when == "call" or (call.when == "setup" and outcome != "passed"):
        for pact in pact_params(item):
            item.config.stash[VERIFICATIONS][(pact, item.nodeid)] = outcome == "passed"
    return report
