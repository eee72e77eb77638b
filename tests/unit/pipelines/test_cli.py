"""`qa` output, snapshot-tested with volatile fields (times, run ids, commits, temporary paths) normalised.

None of these runs a real suite: the suites here are not built, so the tests never run themselves."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from pipelines import cli
from pipelines.history import History, RunRecord
from tests.unit.pipelines.snapshot import assert_snapshot, normalise

POLICY = """
[suites.ghost]
paths = ["nowhere"]
description = "a suite whose tests are not written yet"

[profiles.ghostly]
suites = ["ghost"]
"""


@pytest.fixture
def out(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """What `qa` prints, at a fixed width (a common terminal's) and without colour."""
    buffer = io.StringIO()
    monkeypatch.setattr(cli, "console", Console(file=buffer, width=120, color_system=None, force_terminal=False))
    return buffer


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY)
    return path


def qa(*args: str) -> int:
    result = CliRunner().invoke(cli.app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code


def test_run_says_clearly_that_a_suite_is_not_built_yet(out: io.StringIO, policy: Path, tmp_path: Path) -> None:
    code = qa("run", "ghost", "--policy", str(policy), "--runs-dir", str(tmp_path / "runs"))
    assert code == 2
    assert_snapshot("run_not_built", normalise(out.getvalue(), tmp_path))


def test_run_names_an_unknown_suite_and_the_known_ones(out: io.StringIO) -> None:
    assert qa("run", "smoke") == 2
    assert_snapshot("run_unknown", normalise(out.getvalue()))


def test_gate_with_an_unbuilt_required_suite_is_no_go(out: io.StringIO, policy: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    code = qa("gate", "--profile", "ghostly", "--policy", str(policy), "--runs-dir", str(runs), "--no-report")
    assert code == 1
    assert_snapshot("gate_no_go", normalise(out.getvalue(), tmp_path))
    (run_dir,) = [p for p in runs.iterdir() if p.is_dir()]
    gate = json.loads((run_dir / "gate.json").read_text())
    assert gate["verdict"] == "NO-GO"
    assert gate["reasons"][0].startswith("suite ghost: not built yet")
    assert [r.verdict for r in History(runs).records()] == ["NO-GO"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--profile", "nightlyy"], "no profile 'nightlyy'"),
        (["--policy", "/nonexistent/gates.toml"], "cannot read policy"),
    ],
)
def test_gate_that_cannot_run_exits_2(out: io.StringIO, tmp_path: Path, args: list[str], message: str) -> None:
    assert qa("gate", "--runs-dir", str(tmp_path), *args) == 2
    assert "the gate could not run" in out.getvalue() and message in out.getvalue()
    assert not any(tmp_path.iterdir())  # nothing was started or written


def test_history_shows_the_trend_of_gate_runs(out: io.StringIO, tmp_path: Path) -> None:
    history = History(tmp_path)
    for i, (verdict, passed, rules) in enumerate([("GO", 40, []), ("NO-GO", 38, ["suite unit"]), ("GO", 41, [])]):
        history.append(
            RunRecord(
                run_id=f"2026112{i}-101500-pr",
                profile="pr",
                started_at="2026-11-20T10:15:00+00:00",
                commit=f"{i}bcdef012345",
                verdict=verdict,
                wall_seconds=300.0 + i * 7,
                suites={"unit": {"passed": passed, "total": 41, "skipped": 0}},
                coverage=80.0 + i,
                flaky={"unit::x": "x"} if i == 1 else {},
                failed_rules=rules,
            )
        )
    assert qa("history", "--runs-dir", str(tmp_path)) == 0
    assert_snapshot("history", normalise(out.getvalue(), volatile=False))  # fixture data: nothing volatile


def test_history_without_runs_says_so(out: io.StringIO, tmp_path: Path) -> None:
    assert qa("history", "--runs-dir", str(tmp_path)) == 0
    assert out.getvalue() == "no gate runs yet: run `qa gate`\n"


def test_suites_lists_each_suite_and_whether_it_is_built(
    out: io.StringIO, policy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Wide enough for the tmp_path of the extra suite, whose length varies from run to run.
    monkeypatch.setattr(cli, "console", Console(file=out, width=400, color_system=None, force_terminal=False))
    assert qa("suites", "--policy", str(policy)) == 0
    rows = {line.split("│")[1].strip(): line for line in out.getvalue().splitlines() if line.count("│") > 3}
    assert {"unit", "integration", "contracts", "fuzz", "e2e", "load", "chaos", "ghost"} <= set(rows)
    assert "not yet" in rows["ghost"] and "not yet" not in rows["unit"]


def test_report_without_any_run_says_what_to_do(out: io.StringIO, tmp_path: Path) -> None:
    assert qa("report", "--runs-dir", str(tmp_path)) == 2
    assert "run `qa gate` or `qa run` first" in out.getvalue()


def test_a_crash_of_the_gate_itself_exits_2_not_1(
    out: io.StringIO, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(cli.gate, "run_gate", crash)
    assert qa("gate", "--runs-dir", str(tmp_path)) == 2
    assert "the gate could not run: OSError('disk full')" in out.getvalue()
