"""How the runner runs a suite: Allure results, re-runs, coverage and stack logs only where they belong."""

from __future__ import annotations

import sys
from pathlib import Path

from pipelines.runner import RunContext, command_for
from pipelines.suites import BUILTIN, Suite


def test_a_pytest_suite_writes_allure_results_and_reruns_failures(tmp_path: Path) -> None:
    ctx = RunContext("r", tmp_path, "pr", stack_logs=tmp_path / "logs", reruns=1)
    cmd = command_for(BUILTIN["integration"], ctx)
    assert cmd[:3] == [sys.executable, "-m", "pytest"]
    assert f"--alluredir={tmp_path / 'allure-results'}" in cmd
    assert cmd[cmd.index("--reruns") + 1] == "1"
    assert "--cov=system" in cmd  # integration counts towards the coverage of system/
    assert f"--stack-logs={tmp_path / 'logs'}" in cmd


def test_no_reruns_no_coverage_no_stack_logs_where_they_do_not_apply(tmp_path: Path) -> None:
    ctx = RunContext("r", tmp_path, "run", stack_logs=tmp_path / "logs", reruns=0, coverage=False)
    cmd = command_for(BUILTIN["unit"], ctx)
    assert "--reruns" not in cmd and "--cov=system" not in cmd
    assert not any(arg.startswith("--stack-logs") for arg in cmd)  # a unit test never touches the stack


def test_ignored_paths_and_extra_args_reach_pytest(tmp_path: Path) -> None:
    suite = Suite("s", "", (tmp_path / "c",), ignore=(tmp_path / "c" / "fuzz",), pytest_args=("-k", "pact"))
    cmd = command_for(suite, RunContext("r", tmp_path, "pr"))
    assert f"--ignore={tmp_path / 'c' / 'fuzz'}" in cmd and cmd[-2:] == ["-k", "pact"]


def test_a_command_suite_runs_its_own_command(tmp_path: Path) -> None:
    assert command_for(BUILTIN["chaos"], RunContext("r", tmp_path, "release")) == [sys.executable, "-m", "chaos.suite"]
