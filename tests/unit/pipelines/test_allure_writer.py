"""The results API for suites that are not pytest (load, chaos), metrics.json, and the run-level Allure files."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from pipelines import metrics
from pipelines.allure import AllureWriter, write_categories, write_environment, write_executor
from pipelines.results import read_outcomes, summarise


def test_writer_results_are_read_by_the_gate_like_pytest_ones(tmp_path: Path) -> None:
    writer = AllureWriter(tmp_path, "load")
    writer.test("checkout p95", "passed", measurements={"p95_ms": 412.5})
    writer.test("broker kill", "failed", message="3 orders lost")
    outcomes = {o.name: o for o in read_outcomes(tmp_path)}
    assert outcomes["broker kill"].status == "failed" and outcomes["broker kill"].message == "3 orders lost"
    assert outcomes["checkout p95"].suite == "load"
    assert summarise(outcomes.values())["load"].failed == 1


def test_measurements_parameters_and_attachments_land_in_the_result(tmp_path: Path) -> None:
    csv = tmp_path / "stats.csv"
    csv.write_text("name,p95\ncheckout,412\n")
    results = tmp_path / "results"
    path = AllureWriter(results, "load").test(
        "checkout",
        "passed",
        parameters={"users": 50},
        measurements={"p95_ms": 412.0},
        attachments={"locust stats": csv, "summary.json": '{"ok": true}', "raw": b"\x00\x01"},
    )
    data = json.loads(path.read_text())
    assert data["parameters"] == [{"name": "users", "value": "50"}, {"name": "p95_ms", "value": "412.0"}]
    by_name = {a["name"]: a for a in data["attachments"]}
    assert by_name["locust stats"]["type"] == "text/csv"
    assert (results / by_name["locust stats"]["source"]).read_text() == csv.read_text()
    assert by_name["summary.json"]["type"] == "application/json"
    assert (results / by_name["raw"]["source"]).read_bytes() == b"\x00\x01"


def test_the_same_test_keeps_its_history_id_across_runs(tmp_path: Path) -> None:
    first = json.loads(AllureWriter(tmp_path / "a", "chaos").test("node kill", "passed").read_text())
    second = json.loads(AllureWriter(tmp_path / "b", "chaos").test("node kill", "failed").read_text())
    assert first["historyId"] == second["historyId"] and first["uuid"] != second["uuid"]


def test_an_unknown_status_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="status must be one of"):
        AllureWriter(tmp_path, "load").test("x", "ok")


def test_from_env_uses_the_folder_and_suite_the_runner_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_ALLURE_RESULTS", str(tmp_path))
    monkeypatch.setenv("QA_SUITE", "chaos")
    path = AllureWriter.from_env(labels={"epic": "platform"}).test("db restart", "passed")
    assert [o.suite for o in read_outcomes(tmp_path)] == ["chaos"]
    assert {"name": "epic", "value": "platform"} in json.loads(path.read_text())["labels"]
    monkeypatch.delenv("QA_ALLURE_RESULTS")
    with pytest.raises(RuntimeError, match="qa run"):
        AllureWriter.from_env()


def test_metrics_merge_and_refuse_non_numbers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_METRICS", str(tmp_path / "metrics.json"))
    metrics.record({"load.p95_ms": 410, "load.error_rate": 0.002})
    metrics.record({"chaos.lost_messages": 0, "load.p95_ms": 420.5})
    assert metrics.read(tmp_path / "metrics.json") == {
        "load.p95_ms": 420.5,
        "load.error_rate": 0.002,
        "chaos.lost_messages": 0.0,
    }
    for bad in (math.nan, "fast", True):
        with pytest.raises(ValueError, match="finite number"):
            metrics.record({"load.p95_ms": bad})  # type: ignore[dict-item]
    assert metrics.read(tmp_path / "nothing.json") == {}


def test_environment_properties_escape_keys_and_values(tmp_path: Path) -> None:
    path = write_environment(tmp_path, {"profile": "release", "target url": "http://h:8000/x=1", "note": "a\nb"})
    assert path.read_text() == "profile=release\ntarget\\ url=http://h:8000/x=1\nnote=a\\nb\n"


def test_categories_name_the_four_kinds_of_failure(tmp_path: Path) -> None:
    categories = json.loads(write_categories(tmp_path).read_text())
    names = [c["name"] for c in categories]
    assert names == ["Infrastructure problems", "Flaky tests", "Product defects", "Test defects"]
    assert next(c for c in categories if c["name"] == "Flaky tests")["flaky"] is True


def test_executor_names_the_run_for_the_trend_charts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    data = json.loads(write_executor(tmp_path, "run-7", 7).read_text())
    assert data == {
        "name": "local",
        "type": "local",
        "buildName": "run-7",
        "buildOrder": 7,
        "reportName": "Release gate run-7",
    }


@pytest.mark.parametrize(
    ("status", "message", "category"),
    [
        ("failed", "AssertionError: quote total 99 != 100", "Product defects"),
        ("broken", "KeyError: 'price'", "Test defects"),
        ("broken", "ConnectionRefusedError: [Errno 111] Connection refused", "Infrastructure problems"),
        ("failed", "AssertionError: x\nStackError: timed out waiting for rabbit2", "Infrastructure problems"),
    ],
)
def test_each_failure_falls_in_exactly_one_category(tmp_path: Path, status: str, message: str, category: str) -> None:
    # Allure 2 matches a category's messageRegex against the whole message (Java `matches`, DOTALL).
    categories = json.loads(write_categories(tmp_path).read_text())
    matched = [
        c["name"]
        for c in categories
        if not c.get("flaky") and status in c["matchedStatuses"] and re.fullmatch(c["messageRegex"], message)
    ]
    assert matched == [category]


def test_labels_add_behaviors_and_replace_the_writers_defaults(tmp_path: Path) -> None:
    writer = AllureWriter(tmp_path, "chaos", labels={"epic": "messaging", "tag": "broker"})
    path = writer.test(
        "node kill",
        "passed",
        labels={"feature": "delivery guarantees", "story": ["node kill", "exactly once"], "parentSuite": "chaos X"},
    )
    labels = [(lb["name"], lb["value"]) for lb in json.loads(path.read_text())["labels"]]
    assert labels == [
        ("qaSuite", "chaos"),
        ("tag", "suite:chaos"),
        ("tag", "broker"),
        ("parentSuite", "chaos X"),
        ("framework", "qa"),
        ("epic", "messaging"),
        ("feature", "delivery guarantees"),
        ("story", "node kill"),
        ("story", "exactly once"),
    ]
    assert [o.suite for o in read_outcomes(tmp_path)] == ["chaos"]


def test_the_suite_label_the_gate_counts_by_cannot_be_replaced(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="qaSuite"):
        AllureWriter(tmp_path, "load").test("x", "passed", labels={"qaSuite": "unit"})
