"""The run history: appended per gate run, the previous run of a profile, the wall time per profile."""

from __future__ import annotations

from pathlib import Path

from pipelines.history import History, RunRecord


def record(run_id: str, profile: str, verdict: str = "GO", **kw: object) -> RunRecord:
    return RunRecord(run_id, profile, "2026-11-28T10:00:00+00:00", "abc", verdict, 12.0, **kw)  # type: ignore[arg-type]


def test_previous_is_the_last_gate_run_of_the_same_profile(tmp_path: Path) -> None:
    history = History(tmp_path)
    assert history.previous("pr") is None
    history.append(record("1", "pr", failing={"unit::a": "a"}))
    history.append(record("2", "release"))
    history.append(record("3", "pr", verdict="NO-GO", failing={"unit::b": "b"}))
    previous = history.previous("pr")
    assert previous is not None and previous.run_id == "3"
    assert previous.baseline().failing == frozenset({"unit::b"})
    assert [r.run_id for r in history.records("pr")] == ["1", "3"]


def test_a_damaged_line_is_skipped_not_fatal(tmp_path: Path) -> None:
    history = History(tmp_path)
    history.append(record("1", "pr"))
    with history.path.open("a") as f:
        f.write("{not json\n")
    history.append(record("2", "pr"))
    assert [r.run_id for r in history.records()] == ["1", "2"]


def test_wall_times_keep_the_latest_run_of_each_profile(tmp_path: Path) -> None:
    history = History(tmp_path)
    for run_id, profile in [("1", "pr"), ("2", "release"), ("3", "pr")]:
        history.append(record(run_id, profile))
    assert {p: r.run_id for p, r in history.wall_times().items()} == {"pr": "3", "release": "2"}


def test_tests_sums_passed_and_executed_over_suites() -> None:
    r = record("1", "pr", suites={"unit": {"passed": 9, "total": 12, "skipped": 2}, "e2e": {"passed": 3, "total": 3}})
    assert r.tests == (12, 13)
