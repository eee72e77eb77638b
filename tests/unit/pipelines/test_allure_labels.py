"""Every test carries the epic, feature and story of what it guards (tests/plugins/allure_labels.py): the table
covers the whole tree, and a test's own labels win."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.paths import REPO_ROOT
from tests.plugins.allure_labels import EPICS, TABLE, Labels, labels_for, missing

TREES = ("tests", "e2e", "contracts")  # every tree of pytest tests in the repository


def _tests_in(module: ast.Module) -> Iterator[str]:
    for node in module.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
            yield node.name
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for inner in node.body:
                if isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef) and inner.name.startswith("test"):
                    yield f"{node.name}::{inner.name}"


def tree_node_ids() -> list[str]:
    """The node id of every test function in the repository's test trees, as pytest names them (no parameters)."""
    ids = []
    for tree in TREES:
        for path in sorted((REPO_ROOT / tree).rglob("*.py")):
            if path.name.startswith("test_") or path.name.endswith("_test.py"):
                relative = path.relative_to(REPO_ROOT).as_posix()
                ids += [f"{relative}::{name}" for name in _tests_in(ast.parse(path.read_text()))]
    return ids


def test_every_test_of_the_tree_maps_to_an_epic() -> None:
    ids = tree_node_ids()
    assert len(ids) > 300, "the listing found too few tests: is the tree where it should be?"
    unlabelled = [i for i in ids if labels_for(i) is None]
    assert unlabelled == [], "add a row to TABLE in tests/plugins/allure_labels.py for these"


def test_the_table_uses_only_the_products_epics() -> None:
    assert {row.epic for row in TABLE} <= set(EPICS)
    assert all(row.feature and row.story for row in TABLE)


@pytest.mark.parametrize(
    ("nodeid", "expected"),
    [
        (
            "tests/integration/flow/test_cancel_race.py::test_cancel_racing_a_production_start_always_ends_in_agreement",
            Labels("ordering", "cancellation", "a cancel racing production"),
        ),
        (
            "tests/unit/crm/test_api.py::test_a_forged_expired_or_missing_token_is_refused_on_every_route[expired]",
            Labels("access", "tokens", "crm api"),
        ),
        (
            "tests/unit/crm/test_service.py::test_another_customers_file_is_refused_naming_the_line",
            Labels("access", "other customers' data", "crm service"),
        ),
        (
            "tests/unit/crm/test_domain.py::test_the_lifecycle_is_the_agreed_one",
            Labels("ordering", "orders (CRM)", "domain"),
        ),
        (
            "tests/unit/files/test_service.py::test_unknown_ids_are_not_found",
            Labels("files", "uploads and storage", "service"),
        ),
        (
            "tests/unit/kernel/test_consumer.py::test_each_retry_waits_longer",
            Labels("messaging", "delivery guarantees", "consumer"),
        ),
        (
            "e2e/test_journey.py::test_a_newcomer_orders_a_part_and_follows_it_to_delivery",
            Labels("ordering", "customer journey", "from upload to delivery"),
        ),
        (
            "e2e/test_journey.py::test_a_failed_quality_check_is_reprinted_and_the_customer_sees_it",
            Labels("production", "quality and reprints", "journey in the browser"),
        ),
        ("contracts/fuzz/test_fuzz_crm.py::test_crm_api", Labels("platform", "API robustness (fuzzing)", "fuzz crm")),
        ("tests/unit/pipelines/test_policy.py::TestX::test_y", Labels("release gate", "policy", "policy")),
    ],
)
def test_paths_and_names_map_to_the_capability_they_guard(nodeid: str, expected: Labels) -> None:
    assert labels_for(nodeid) == expected


def test_a_path_nobody_mapped_has_no_labels() -> None:
    assert labels_for("somewhere/else/test_x.py::test_y") is None


def test_the_table_fills_in_only_what_the_test_left_out_and_only_under_its_own_epic() -> None:
    mapped = Labels("ordering", "orders (CRM)", "domain")
    none: dict[str, set[str]] = {"epic": set(), "feature": set(), "story": set()}
    assert missing(none, mapped) == {"epic": "ordering", "feature": "orders (CRM)", "story": "domain"}
    assert missing({**none, "story": {"refunds"}}, mapped) == {"epic": "ordering", "feature": "orders (CRM)"}
    assert missing({**none, "epic": {"ordering"}}, mapped) == {"feature": "orders (CRM)", "story": "domain"}
    assert missing({**none, "epic": {"pricing"}}, mapped) == {}


SAMPLE = """
import allure


def test_plain():
    pass


@allure.epic("pricing")
def test_own_epic():
    pass


@allure.story("refunds")
def test_own_story():
    pass


def test_dynamic_labels():
    allure.dynamic.epic("ordering")
    allure.dynamic.feature("order history")


def test_fails_once_then_passes(request):
    marker = request.path.with_name("armed")
    if marker.exists():
        marker.unlink()
        raise AssertionError("first attempt")
"""


def behaviors(results: Path) -> dict[str, dict[str, list[str]]]:
    """Each test's epic/feature/story values (in the order written) from allure-pytest's results."""
    out: dict[str, dict[str, list[str]]] = {}
    for path in results.glob("*-result.json"):
        result = json.loads(path.read_text())
        kinds = {k: [lb["value"] for lb in result["labels"] if lb["name"] == k] for k in ("epic", "feature", "story")}
        out.setdefault(result["name"], kinds)
        assert out[result["name"]] == kinds  # every attempt of a re-run test carries the same labels
    return out


def test_the_plugin_labels_allure_results_and_never_overrides_a_tests_own(tmp_path: Path) -> None:
    # The table maps paths from the root of the tree pytest runs in: a sample tree laid out like this one.
    module = tmp_path / "tests" / "unit" / "crm" / "test_sample.py"
    module.parent.mkdir(parents=True)
    module.write_text(SAMPLE)
    (module.parent / "armed").write_text("")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    results = tmp_path / "results"
    plugins = ("allure_pytest.plugin", "pytest_rerunfailures", "tests.plugins.allure_labels")
    cmd = [sys.executable, "-m", "pytest", *(a for p in plugins for a in ("-p", p)), f"--alluredir={results}"]
    cmd += ["--reruns", "1", "-q", "-p", "no:cacheprovider", str(module)]
    # Only the plugins this needs: loading every installed one (hypothesis, playwright…) takes seconds.
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = {"epic": ["ordering"], "feature": ["orders (CRM)"], "story": ["sample"]}
    assert behaviors(results) == {
        "test_plain": table,
        "test_own_epic": {"epic": ["pricing"], "feature": [], "story": []},
        "test_own_story": {**table, "story": ["refunds"]},
        "test_dynamic_labels": {"epic": ["ordering"], "feature": ["order history"], "story": ["sample"]},
        "test_fails_once_then_passes": table,
    }
