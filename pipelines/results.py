"""Allure result files read back into outcomes: one per test (its last attempt), with its suite and flakiness."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SUITE_LABEL = "qaSuite"
FAILING = {"failed", "broken", "unknown"}


@dataclass(frozen=True)
class Outcome:
    """A test's final result; `flaky` when it failed first and passed only on a re-run."""

    suite: str
    test_id: str
    name: str
    full_name: str
    status: str
    attempts: int
    flaky: bool
    message: str

    @property
    def failing(self) -> bool:
        return self.status in FAILING


@dataclass(frozen=True)
class SuiteSummary:
    """Counts of one suite's final outcomes."""

    passed: int = 0
    failed: int = 0
    broken: int = 0
    skipped: int = 0
    flaky: int = 0

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.broken + self.skipped

    @property
    def executed(self) -> int:
        return self.total - self.skipped

    @property
    def pass_rate(self) -> float | None:
        """Per cent of executed tests that passed (a flaky pass counts as a pass); None when none ran."""
        return 100.0 * self.passed / self.executed if self.executed else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "failed": self.failed,
            "broken": self.broken,
            "skipped": self.skipped,
            "flaky": self.flaky,
            "total": self.total,
            "pass_rate": self.pass_rate,
        }


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _label(result: dict[str, Any], name: str) -> str | None:
    return next((lb["value"] for lb in result.get("labels", []) if lb.get("name") == name), None)


def _key(result: dict[str, Any]) -> str:
    return str(result.get("historyId") or result.get("fullName") or result["name"])


def _attempt_order(result: dict[str, Any]) -> tuple[int, int]:
    return int(result.get("start") or 0), int(result.get("stop") or 0)


def tag_results(files: Iterable[Path], suite: str) -> None:
    """Label one suite's new result files with the suite, and mark a test that passed only on re-run as flaky."""
    results = {path: _load(path) for path in files}
    attempts: dict[str, list[Path]] = defaultdict(list)
    for path, result in results.items():
        if _label(result, SUITE_LABEL) is None:
            result.setdefault("labels", []).extend(
                [{"name": SUITE_LABEL, "value": suite}, {"name": "tag", "value": f"suite:{suite}"}]
            )
        attempts[_key(result)].append(path)
    for paths in attempts.values():
        paths.sort(key=lambda p: _attempt_order(results[p]))
        last = results[paths[-1]]
        if last.get("status") == "passed" and any(results[p].get("status") in FAILING for p in paths[:-1]):
            last.setdefault("statusDetails", {})["flaky"] = True
    for path, result in results.items():
        path.write_text(json.dumps(result))


def read_outcomes(results_dir: Path) -> list[Outcome]:
    """Every test in `results_dir` once, by its last attempt, in suite then name order."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for path in results_dir.glob("*-result.json"):
        result = _load(path)
        groups[(_label(result, SUITE_LABEL) or "unknown", _key(result))].append(result)
    outcomes = []
    for (suite, test_id), attempts in groups.items():
        attempts.sort(key=_attempt_order)
        last = attempts[-1]
        details = last.get("statusDetails") or {}
        flaky = last.get("status") == "passed" and (
            bool(details.get("flaky")) or any(a.get("status") in FAILING for a in attempts[:-1])
        )
        outcomes.append(
            Outcome(
                suite=suite,
                test_id=test_id,
                name=str(last.get("name", test_id)),
                full_name=str(last.get("fullName", last.get("name", test_id))),
                status=str(last.get("status", "unknown")),
                attempts=len(attempts),
                flaky=flaky,
                message=str(details.get("message") or "").strip(),
            )
        )
    return sorted(outcomes, key=lambda o: (o.suite, o.full_name))


def summarise(outcomes: Iterable[Outcome]) -> dict[str, SuiteSummary]:
    """Per-suite counts."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for o in outcomes:
        status = o.status if o.status in ("passed", "failed", "broken", "skipped") else "broken"
        counts[o.suite][status] += 1
        counts[o.suite]["flaky"] += o.flaky
    return {suite: SuiteSummary(**c) for suite, c in counts.items()}
