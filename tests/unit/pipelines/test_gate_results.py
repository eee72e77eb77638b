"""The verdict inside the report: one Allure result per gate rule and one for the verdict, snapshot-tested."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipelines import gate_results
from pipelines.policy import Baseline, Facts, Profile, SuiteFacts, Threshold, evaluate
from pipelines.results import Outcome, SuiteSummary
from tests.unit.pipelines.snapshot import assert_snapshot

PROFILE = Profile(
    "release",
    ("unit", "e2e", "load"),
    coverage_floor=55.0,
    max_flaky=0,
    thresholds=(
        Threshold("load.p95_ms", 800.0, "max", "p95 of the order API"),
        Threshold("chaos.lost_messages", 0.0, "max", "orders acknowledged that never took effect"),
    ),
)
# unit passes, e2e is not built yet, load ran and measured a p95 over its threshold, nobody measured chaos.
NO_GO = Facts(
    suites={
        "unit": SuiteFacts(True, 0, SuiteSummary(passed=3), 12.3),
        "e2e": SuiteFacts(False, None, SuiteSummary()),
        "load": SuiteFacts(True, 0, SuiteSummary(passed=1), 65.0),
    },
    outcomes=[Outcome("unit", f"h{i}", f"test_{i}", f"tests.unit#test_{i}", "passed", 1, False, "") for i in range(3)],
    coverage=62.4,
    metrics={"load.p95_ms": 912.0},
)
AT = 1_795_000_000.0  # a fixed clock, so the snapshot holds


def written(paths: list[Path]) -> list[dict[str, Any]]:
    """The results in writing order, without what changes on every run (the uuid naming each file)."""
    assert sorted(paths) == sorted(paths[0].parent.glob("*-result.json"))  # nothing else was written
    out = []
    for path in paths:
        result = json.loads(path.read_text())
        assert path.name == f"{result.pop('uuid')}-result.json"
        out.append(result)
    return out


def write_no_go(tmp_path: Path) -> list[dict[str, Any]]:
    verdict = evaluate(PROFILE, NO_GO, Baseline("previous", frozenset()))
    results = written(gate_results.write(tmp_path, "release", verdict, at=AT))
    assert len(results) == len(verdict.rules) + 1
    return results


def test_a_no_go_is_written_rule_by_rule_then_the_verdict(tmp_path: Path) -> None:
    results = write_no_go(tmp_path)
    for r in results:  # one line per label and per parameter, in the order written, so the snapshot reads easily
        r["labels"] = [f"{lb['name']}={lb['value']}" for lb in r["labels"]]
        r["parameters"] = [f"{p['name']}={p['value']}" for p in r["parameters"]]
    text = json.dumps(results, ensure_ascii=False, sort_keys=True, indent=1) + "\n"
    assert_snapshot("gate_results_no_go", text)


def test_each_rule_is_passed_failed_or_broken_with_its_reason(tmp_path: Path) -> None:
    results = {r["name"]: r for r in write_no_go(tmp_path)}
    assert {n: r["status"] for n, r in results.items()} == {
        "suite unit": "passed",
        "suite e2e": "failed",  # not built yet is known: failed, saying so
        "suite load": "passed",
        "no new failures": "passed",
        "coverage system/": "passed",
        "flaky tests": "passed",
        "load.p95_ms": "failed",
        "chaos.lost_messages": "broken",  # nobody measured it
        "verdict: NO-GO": "failed",
    }
    e2e = results["suite e2e"]
    assert e2e["statusDetails"]["message"] == "not built yet (required pass rate ≥ 100%) — suite e2e is not built yet"
    assert e2e["parameters"] == [
        {"name": "measured", "value": "not built yet"},
        {"name": "threshold", "value": "pass rate ≥ 100%"},
    ]
    p95 = results["load.p95_ms"]
    assert p95["statusDetails"]["message"] == "912 (required ≤ 800) — p95 of the order API"
    assert [p["value"] for p in p95["parameters"]] == ["912", "≤ 800"]


def test_the_verdict_lists_the_failing_rules(tmp_path: Path) -> None:
    verdict = write_no_go(tmp_path)[-1]
    assert verdict["fullName"] == "release gate.verdict"
    assert verdict["statusDetails"]["message"].splitlines() == [
        "NO-GO: 3 of 8 rules failed",
        "- suite e2e: not built yet (required pass rate ≥ 100%) — suite e2e is not built yet",
        "- load.p95_ms: 912 (required ≤ 800) — p95 of the order API",
        "- chaos.lost_messages: not measured (required ≤ 0) — orders acknowledged that never took effect",
    ]
    assert verdict["parameters"] == [{"name": "profile", "value": "release"}, {"name": "rules held", "value": "5/8"}]


def test_a_go_is_a_passed_verdict_and_every_rule_passed(tmp_path: Path) -> None:
    facts = Facts(suites={"unit": SuiteFacts(True, 0, SuiteSummary(passed=2))}, coverage=70.0)
    verdict = evaluate(Profile("pr", ("unit",), coverage_floor=55.0), facts, None)
    results = written(gate_results.write(tmp_path, "pr", verdict, at=AT))
    assert [(r["name"], r["status"]) for r in results] == [
        ("suite unit", "passed"),
        ("no new failures", "passed"),
        ("coverage system/", "passed"),
        ("flaky tests", "passed"),
        ("verdict: GO", "passed"),
    ]
    assert results[-1]["statusDetails"]["message"] == "GO: all 4 rules hold"


def test_the_results_group_as_the_release_gate_in_suites_and_behaviors(tmp_path: Path) -> None:
    for result in write_no_go(tmp_path):
        labels = {(lb["name"], lb["value"]) for lb in result["labels"]}
        assert {
            ("qaSuite", "release gate"),
            ("parentSuite", "[release gate]"),
            ("epic", "release gate"),
            ("feature", "verdict of this run"),
            ("tag", "profile:release"),
        } <= labels
        assert [lb["value"] for lb in result["labels"] if lb["name"] == "parentSuite"] == ["[release gate]"]
    # Allure's Suites tab sorts groups by lower-cased name: the gate's group sorts before any test package.
    assert sorted(["tests.unit.crm", "load", "contracts.fuzz", "e2e", "chaos", gate_results.SUITES_TAB])[0] == (
        "[release gate]"
    )


def test_each_rule_keeps_its_own_history_across_runs(tmp_path: Path) -> None:
    first = {r["name"]: r["historyId"] for r in write_no_go(tmp_path / "a")}
    second = {r["name"]: r["historyId"] for r in write_no_go(tmp_path / "b")}
    assert first == second and len(set(first.values())) == len(first)
