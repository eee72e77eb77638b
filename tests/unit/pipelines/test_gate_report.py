"""gate.md and gate.json, rendered from one run's facts, snapshot-tested."""

from __future__ import annotations

import json
from pathlib import Path

from pipelines import gate_report
from pipelines.history import RunRecord
from pipelines.policy import Baseline, Facts, Profile, SuiteFacts, Threshold, evaluate, outcome_key
from pipelines.results import Outcome, SuiteSummary
from tests.unit.pipelines.snapshot import assert_snapshot

PROFILE = Profile(
    "release",
    ("unit", "e2e", "load"),
    coverage_floor=80.0,
    max_flaky=0,
    thresholds=(Threshold("load.p95_ms", 800.0, "max", "p95 of the order API"),),
)
OUTCOMES = [
    Outcome(
        "unit",
        "h1",
        "test_quote_total",
        "tests.unit.crm#test_quote_total",
        "failed",
        2,
        False,
        "AssertionError: total 99 != 100 | rounding\nmore lines",
    ),
    Outcome("unit", "h2", "test_reprint", "tests.unit.mes#test_reprint", "passed", 2, True, ""),
    Outcome("unit", "h3", "test_price", "tests.unit.pricing#test_price", "passed", 1, False, ""),
]
FACTS = Facts(
    suites={
        "unit": SuiteFacts(True, 1, SuiteSummary(passed=2, failed=1, flaky=1), 12.3),
        "e2e": SuiteFacts(False, None, SuiteSummary()),
        "load": SuiteFacts(True, 0, SuiteSummary(passed=4), 65.0),
    },
    outcomes=OUTCOMES,
    coverage=82.5,
    metrics={"load.p95_ms": 912.0},
)
PREVIOUS = RunRecord(
    "20261127-020000-release",
    "release",
    "2026-11-27T02:00:00+00:00",
    "0123456789ab",
    "GO",
    1510.0,
    suites={"unit": {"passed": 3, "total": 3, "skipped": 0}},
    coverage=83.0,
    failing={"unit::gone": "test_was_broken"},
)


def document() -> dict[str, object]:
    verdict = evaluate(PROFILE, FACTS, Baseline(PREVIOUS.run_id, frozenset(PREVIOUS.failing)))
    record = RunRecord(
        "20261128-020000-release",
        "release",
        "2026-11-28T02:00:00+00:00",
        "fedcba987654",
        verdict.text,
        1622.4,
        suites={
            n: {"built": f.built, "exit_code": f.exit_code, "seconds": f.seconds, **f.summary.as_dict()}
            for n, f in FACTS.suites.items()
        },
        failing={outcome_key(OUTCOMES[0]): OUTCOMES[0].name},
    )
    pr = RunRecord("20261128-010000-pr", "pr", "2026-11-28T01:00:00+00:00", "fedcba987654", "GO", 301.0)
    uids = {("tests.unit.crm#test_quote_total", "test_quote_total"): "abc123"}
    return gate_report.gate_document(
        record, verdict, FACTS, PREVIOUS, {"pr": pr, "release": record}, uids, "allure-report/"
    )


def test_gate_md_shows_verdict_rules_comparison_and_links() -> None:
    assert_snapshot("gate_md", gate_report.render_markdown(document()))


def test_gate_json_carries_the_verdict_and_the_failing_rules(tmp_path: Path) -> None:
    json_path, md_path = gate_report.write(tmp_path, document())
    gate = json.loads(json_path.read_text())
    assert gate["verdict"] == "NO-GO"
    failing = [r["name"] for r in gate["rules"] if not r["passed"]]
    assert failing == ["suite unit", "suite e2e", "no new failures", "flaky tests", "load.p95_ms"]
    assert gate["failed_tests"][0]["link"] == "allure-report/index.html#testresult/abc123"
    assert gate["previous"]["new_failures"] == ["test_quote_total"]
    assert gate["previous"]["fixed"] == ["test_was_broken"]
    assert gate["wall_times"]["pr"]["wall_seconds"] == 301.0
    assert md_path.read_text() == gate_report.render_markdown(gate)


def test_durations_read_naturally() -> None:
    assert [gate_report.duration(s) for s in (4.04, 59.9, 60, 1622.4)] == ["4.0s", "59.9s", "1m 00s", "27m 02s"]
