"""The history of gate runs (one JSON line per run in <runs>/history.jsonl): trends, the previous run to
compare with, and the wall time of the gate per profile."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipelines.policy import Baseline

HISTORY_FILE = "history.jsonl"


@dataclass(frozen=True)
class RunRecord:
    """One finished gate (or `qa run`) run, as later runs and `qa history` need it."""

    run_id: str
    profile: str
    started_at: str
    commit: str
    verdict: str  # GO, NO-GO, or "-" for a `qa run` without a verdict
    wall_seconds: float
    target: str = "local stack"
    suites: dict[str, dict[str, Any]] = field(default_factory=dict)
    coverage: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    failing: dict[str, str] = field(default_factory=dict)  # test key -> name
    flaky: dict[str, str] = field(default_factory=dict)
    failed_rules: list[str] = field(default_factory=list)

    @property
    def tests(self) -> tuple[int, int]:
        """(passed, executed) over all suites."""
        passed = sum(int(s.get("passed", 0)) for s in self.suites.values())
        executed = sum(int(s.get("total", 0)) - int(s.get("skipped", 0)) for s in self.suites.values())
        return passed, executed

    def baseline(self) -> Baseline:
        return Baseline(self.run_id, frozenset(self.failing))


class History:
    """Append-only list of runs; a line that cannot be read is skipped rather than breaking the gate."""

    def __init__(self, runs_dir: Path) -> None:
        self.path = runs_dir / HISTORY_FILE

    def append(self, record: RunRecord) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as f:
            f.write(json.dumps(asdict(record), sort_keys=True) + "\n")

    def records(self, profile: str | None = None) -> list[RunRecord]:
        """Runs in the order they finished, optionally of one profile only."""
        if not self.path.exists():
            return []
        records = []
        known = set(RunRecord.__dataclass_fields__)
        for line in self.path.read_text().splitlines():
            try:
                data = json.loads(line)
                records.append(RunRecord(**{k: v for k, v in data.items() if k in known}))
            except (ValueError, TypeError):
                continue
        return [r for r in records if profile is None or r.profile == profile]

    def previous(self, profile: str) -> RunRecord | None:
        """The last gate run of `profile` (runs without a verdict are not a baseline)."""
        gates = [r for r in self.records(profile) if r.verdict in ("GO", "NO-GO")]
        return gates[-1] if gates else None

    def wall_times(self) -> dict[str, RunRecord]:
        """The latest gate run of each profile, for the wall-time table."""
        latest: dict[str, RunRecord] = {}
        for record in self.records():
            if record.verdict in ("GO", "NO-GO"):
                latest[record.profile] = record
        return latest
