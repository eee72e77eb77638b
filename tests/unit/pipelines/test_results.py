"""Allure result files read back: one outcome per test by its last attempt, flaky when it passed only on re-run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipelines.results import SUITE_LABEL, SuiteSummary, read_outcomes, summarise, tag_results


def result(folder: Path, name: str, status: str, start: int, message: str = "") -> Path:
    """A result file as allure-pytest writes it (the fields the gate reads)."""
    data: dict[str, Any] = {
        "uuid": f"{name}-{start}",
        "name": name,
        "fullName": f"tests.mod#{name}",
        "historyId": f"h-{name}",
        "status": status,
        "start": start,
        "stop": start + 5,
        "labels": [{"name": "suite", "value": "mod"}],
    }
    if message:
        data["statusDetails"] = {"message": message}
    path = folder / f"{name}-{start}-result.json"
    path.write_text(json.dumps(data))
    return path


def test_the_last_attempt_decides_and_a_pass_on_rerun_is_flaky(tmp_path: Path) -> None:
    files = [
        result(tmp_path, "steady", "passed", 100),
        result(tmp_path, "wobbly", "failed", 110, "first try"),
        result(tmp_path, "wobbly", "passed", 200),  # the re-run
        result(tmp_path, "broken", "broken", 120, "KeyError"),
        result(tmp_path, "broken", "broken", 210, "KeyError again"),
        result(tmp_path, "skipped", "skipped", 130),
    ]
    tag_results(files, "unit")
    outcomes = {o.name: o for o in read_outcomes(tmp_path)}
    assert {o.suite for o in outcomes.values()} == {"unit"}
    assert (outcomes["wobbly"].status, outcomes["wobbly"].flaky, outcomes["wobbly"].attempts) == ("passed", True, 2)
    assert (outcomes["steady"].status, outcomes["steady"].flaky) == ("passed", False)
    assert (outcomes["broken"].status, outcomes["broken"].message, outcomes["broken"].failing) == (
        "broken",
        "KeyError again",
        True,
    )
    assert summarise(outcomes.values()) == {"unit": SuiteSummary(passed=2, broken=1, skipped=1, flaky=1)}


def test_tagging_labels_the_suite_and_marks_the_flaky_result_for_the_report(tmp_path: Path) -> None:
    first, rerun = result(tmp_path, "wobbly", "failed", 1), result(tmp_path, "wobbly", "passed", 2)
    tag_results([first, rerun], "integration")
    final = json.loads(rerun.read_text())
    assert {"name": SUITE_LABEL, "value": "integration"} in final["labels"]
    assert {"name": "tag", "value": "suite:integration"} in final["labels"]
    assert final["statusDetails"]["flaky"] is True  # Allure's "Flaky tests" category matches on this
    assert "flaky" not in json.loads(first.read_text()).get("statusDetails", {})


def test_a_test_failing_on_every_attempt_is_failing_not_flaky(tmp_path: Path) -> None:
    tag_results([result(tmp_path, "bad", "failed", 1), result(tmp_path, "bad", "failed", 2)], "unit")
    (bad,) = read_outcomes(tmp_path)
    assert bad.failing and not bad.flaky


def test_suites_are_kept_apart(tmp_path: Path) -> None:
    tag_results([result(tmp_path, "a", "passed", 1)], "unit")
    tag_results([result(tmp_path, "b", "failed", 2)], "e2e")
    summary = summarise(read_outcomes(tmp_path))
    assert summary == {"unit": SuiteSummary(passed=1), "e2e": SuiteSummary(failed=1)}
    assert summary["e2e"].pass_rate == 0.0 and summary["unit"].pass_rate == 100.0


def test_pass_rate_ignores_skipped_tests_and_is_none_when_nothing_ran() -> None:
    assert SuiteSummary(passed=3, failed=1, skipped=6).pass_rate == 75.0
    assert SuiteSummary(skipped=2).pass_rate is None
