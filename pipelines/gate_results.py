"""The verdict inside the Allure report: one result per gate rule and one for the verdict, in a "release gate" suite,
written among the run's results before the report is built, so its overview counts them."""

from __future__ import annotations

import time
from pathlib import Path

from pipelines.allure import AllureWriter
from pipelines.policy import COVERAGE, FLAKY, NEW_FAILURES, SUITE, THRESHOLD, Rule, Verdict

GATE_SUITE = "release gate"
# Allure sorts the Suites tab by name, and "[" comes before every letter, so this group is listed before any
# test package (tests.unit…, e2e, contracts.fuzz) or command suite (load, chaos).
SUITES_TAB = f"[{GATE_SUITE}]"
FEATURE = "verdict of this run"
STORIES = {
    SUITE: "required suites",
    NEW_FAILURES: "no new failures",
    COVERAGE: "coverage floor",
    FLAKY: "flaky budget",
    THRESHOLD: "thresholds",
}
VERDICT_STORY = "verdict"


def _rule(writer: AllureWriter, rule: Rule, at: float) -> Path:
    return writer.test(
        rule.name,
        rule.status,
        full_name=f"{GATE_SUITE}.{rule.name}",  # one history per rule, so the report's trend follows it
        message=rule.reason,
        parameters={"measured": rule.measured, "threshold": rule.threshold},
        start=at,
        stop=at,
        labels={"story": STORIES.get(rule.kind, STORIES[THRESHOLD])},
    )


def verdict_message(verdict: Verdict) -> str:
    """GO, or NO-GO with one line per failing rule."""
    if verdict.go:
        return f"GO: all {len(verdict.rules)} rules hold"
    failing = [r for r in verdict.rules if not r.passed]
    lines = [f"NO-GO: {len(failing)} of {len(verdict.rules)} rules failed"]
    return "\n".join([*lines, *(f"- {r.name}: {r.reason}" for r in failing)])


def write(results_dir: Path, profile: str, verdict: Verdict, at: float | None = None) -> list[Path]:
    """Write every rule of `verdict`, then the verdict itself, into `results_dir`; return the files."""
    at = time.time() if at is None else at
    labels = {"parentSuite": SUITES_TAB, "epic": GATE_SUITE, "feature": FEATURE, "tag": f"profile:{profile}"}
    writer = AllureWriter(results_dir, GATE_SUITE, labels=labels)
    paths = [_rule(writer, rule, at) for rule in verdict.rules]
    held = sum(r.passed for r in verdict.rules)
    paths.append(
        writer.test(
            f"verdict: {verdict.text}",
            "passed" if verdict.go else "failed",
            full_name=f"{GATE_SUITE}.verdict",  # the same case whatever the verdict, so its history shows GO/NO-GO
            message=verdict_message(verdict),
            parameters={"profile": profile, "rules held": f"{held}/{len(verdict.rules)}"},
            start=at,
            stop=at,
            labels={"story": VERDICT_STORY},
        )
    )
    return paths
