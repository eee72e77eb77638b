"""Runs suites as subprocesses into one run folder: Allure results, a log per suite, coverage, metrics."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pipelines.metrics import METRICS_FILE
from pipelines.policy import SuiteFacts
from pipelines.results import SuiteSummary, read_outcomes, summarise, tag_results
from pipelines.suites import Suite

TICK = 0.5  # seconds between progress updates while a suite runs


@dataclass(frozen=True)
class RunContext:
    """One run folder and how its suites are to be run."""

    run_id: str
    run_dir: Path
    profile: str
    target: str | None = None
    stack_logs: Path | None = None
    reruns: int = 0
    coverage: bool = True

    @property
    def results_dir(self) -> Path:
        return self.run_dir / "allure-results"

    @property
    def logs_dir(self) -> Path:
        return self.run_dir / "logs"

    @property
    def coverage_dir(self) -> Path:
        return self.run_dir / "coverage"

    @property
    def metrics_file(self) -> Path:
        return self.run_dir / METRICS_FILE

    def prepare(self) -> None:
        for folder in (self.results_dir, self.logs_dir, self.coverage_dir):
            folder.mkdir(parents=True, exist_ok=True)


class Events(Protocol):
    """What the runner and the gate tell the user while they work."""

    def stage(self, message: str) -> None: ...

    def suite_started(self, suite: Suite) -> None: ...

    def suite_progress(self, suite: Suite, results: int) -> None: ...

    def suite_finished(self, suite: Suite, facts: SuiteFacts) -> None: ...


def _environment(suite: Suite, ctx: RunContext) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        QA_RUN_DIR=str(ctx.run_dir),
        QA_ALLURE_RESULTS=str(ctx.results_dir),
        QA_METRICS=str(ctx.metrics_file),
        QA_SUITE=suite.name,
        QA_PROFILE=ctx.profile,
        COVERAGE_FILE=str(ctx.coverage_dir / f".coverage.{suite.name}"),
    )
    if ctx.target:
        env["QA_TARGET"] = ctx.target
    return env


def command_for(suite: Suite, ctx: RunContext) -> list[str]:
    """The command line that runs `suite` into `ctx`'s run folder."""
    if suite.command:
        return list(suite.command)
    cmd = [sys.executable, "-m", "pytest", *map(str, suite.paths), *(f"--ignore={p}" for p in suite.ignore)]
    cmd += [f"--alluredir={ctx.results_dir}", "-p", "pipelines.stack_logs", "-q", "--color=no", *suite.pytest_args]
    if ctx.stack_logs and suite.needs_stack:  # a unit test's failure has nothing to do with the stack's logs
        cmd.append(f"--stack-logs={ctx.stack_logs}")
    if ctx.reruns:
        cmd += ["--reruns", str(ctx.reruns)]  # pytest-rerunfailures: a pass on re-run is reported as flaky
    if ctx.coverage and suite.coverage:
        cmd += ["--cov=system", "--cov-report="]
    return cmd


def run_suite(suite: Suite, ctx: RunContext, events: Events) -> SuiteFacts:
    """Run one suite to the end (or say it is not built yet) and return what it gave."""
    events.suite_started(suite)
    if not suite.built():
        facts = SuiteFacts(built=False, exit_code=None, summary=SuiteSummary())
        events.suite_finished(suite, facts)
        return facts
    ctx.prepare()
    before = set(ctx.results_dir.glob("*-result.json"))
    started = time.monotonic()
    with (ctx.logs_dir / f"{suite.name}.log").open("wb") as log:
        # Own session: an interrupted gate ends the suite's whole process tree, not just its first process.
        proc = subprocess.Popen(
            command_for(suite, ctx),
            cwd=suite.cwd,
            env=_environment(suite, ctx),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            code = _wait(proc, lambda: events.suite_progress(suite, _count(ctx.results_dir) - len(before)))
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
            raise
    tag_results(set(ctx.results_dir.glob("*-result.json")) - before, suite.name)
    summary = summarise(read_outcomes(ctx.results_dir)).get(suite.name, SuiteSummary())
    facts = SuiteFacts(built=True, exit_code=code, summary=summary, seconds=time.monotonic() - started)
    events.suite_finished(suite, facts)
    return facts


def _wait(proc: subprocess.Popen[bytes], tick: Callable[[], None]) -> int:
    while True:
        try:
            return proc.wait(timeout=TICK)
        except subprocess.TimeoutExpired:
            tick()


def _count(results_dir: Path) -> int:
    return sum(1 for _ in results_dir.glob("*-result.json"))


def measure_coverage(ctx: RunContext) -> float | None:
    """Combine the suites' coverage data; per cent of system/ covered (coverage.json in the run), or None."""
    import coverage  # only gates that measure coverage pay for the import

    parts = sorted(str(p) for p in ctx.coverage_dir.glob(".coverage.*"))
    if not parts:
        return None
    cov = coverage.Coverage(data_file=str(ctx.coverage_dir / ".coverage"))
    try:
        cov.combine(parts, keep=True)
        cov.save()
        return float(cov.json_report(outfile=str(ctx.run_dir / "coverage.json")))
    except coverage.exceptions.CoverageException:
        return None
