"""No drift: the consumer tests, run again into a temporary folder, generate exactly the committed pacts.

A consumer that reads something new changes its pact; until `python -m contracts.pacts update` is run and the
result committed, the providers would be verified against a contract nobody holds any more.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import allure
import pytest

from contracts.http import labels
from contracts.pacts import PACTS, generate, pact_files, read

pytestmark = labels("no drift between consumer tests and committed pacts")

UPDATE = "python -m contracts.pacts update"


def comparable(pact: dict[str, Any]) -> dict[str, Any]:
    """The pact without `metadata.pactRust`: it names the FFI build that wrote the file, which differs between
    machines and pact-python upgrades without the contract changing."""
    metadata = {k: v for k, v in pact.get("metadata", {}).items() if k != "pactRust"}
    return {**pact, "metadata": metadata}


def changed(fresh: dict[str, Any], committed: dict[str, Any]) -> list[str]:
    """The descriptions of the interactions that differ (added, removed or changed)."""
    now = {i["description"]: i for i in fresh.get("interactions", [])}
    before = {i["description"]: i for i in committed.get("interactions", [])}
    return sorted(d for d in now.keys() | before.keys() if now.get(d) != before.get(d))


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pacts the consumer tests write now."""
    root = tmp_path_factory.mktemp("regenerated")
    result = generate(root)
    allure.attach(result.stdout + result.stderr, name="consumer tests", attachment_type=allure.attachment_type.TEXT)
    assert result.returncode == 0, f"the consumer tests failed:\n{result.stdout[-3000:]}\n{result.stderr[-2000:]}"
    return root


def test_the_same_pact_files(regenerated: Path) -> None:
    committed = {str(p.relative_to(PACTS)) for p in pact_files(PACTS)}
    now = {str(p.relative_to(regenerated)) for p in pact_files(regenerated)}
    assert now == committed, f"added: {sorted(now - committed)}, gone: {sorted(committed - now)}; run `{UPDATE}`"


@pytest.mark.parametrize("pact", pact_files(PACTS), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_committed_pact_is_what_its_consumer_tests_generate(pact: Path, regenerated: Path) -> None:
    fresh = regenerated / pact.parent.name / pact.name
    assert fresh.is_file(), f"the consumer tests no longer write {pact.name}; run `{UPDATE}`"
    now, before = comparable(read(fresh)), comparable(read(pact))
    assert now == before, f"{pact.name} drifted ({changed(now, before) or 'metadata'}); run `{UPDATE}` and commit"
