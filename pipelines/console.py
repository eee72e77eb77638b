"""What `qa` shows on the terminal: progress while suites run, then the verdict and its rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipelines.gate_report import duration
from pipelines.history import RunRecord
from pipelines.policy import SuiteFacts
from pipelines.suites import Suite


def suite_line(suite: Suite, facts: SuiteFacts) -> str:
    """One line per finished suite: its counts, or why it has none."""
    if not facts.built:
        return f"[yellow]○[/yellow] {suite.name}: suite {suite.name} is not built yet (expected at {suite.location})"
    s = facts.summary
    ok = facts.exit_code == 0 and s.executed > 0
    mark = "[green]✓[/green]" if ok else "[red]✗[/red]"
    counts = f"{s.passed} passed, {s.failed} failed, {s.broken} broken, {s.skipped} skipped, {s.flaky} flaky"
    ending = "" if facts.exit_code in (0, 1) else f" — exit {facts.exit_code}, see logs/{suite.name}.log"
    return f"{mark} {suite.name}: {counts} in {duration(facts.seconds)}{ending}"


class ConsoleEvents:
    """Progress: a spinner for the running suite on a terminal, plain lines elsewhere (CI logs)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def stage(self, message: str) -> None:
        self.console.print(f"[cyan]•[/cyan] {message}", highlight=False, soft_wrap=True)

    def suite_started(self, suite: Suite) -> None:
        if not self.console.is_terminal:
            self.console.print(f"[cyan]•[/cyan] suite {suite.name} …", highlight=False, soft_wrap=True)
            return
        self._progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=self.console, transient=True
        )
        self._progress.start()
        self._task = self._progress.add_task(f"suite {suite.name}: starting")

    def suite_progress(self, suite: Suite, results: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=f"suite {suite.name}: {results} test results so far")

    def suite_finished(self, suite: Suite, facts: SuiteFacts) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        self.console.print(suite_line(suite, facts), highlight=False, soft_wrap=True)


def print_verdict(console: Console, doc: Mapping[str, Any], gate_md: str) -> None:
    """The rules as a table, the reasons, and where the details are."""
    table = Table("rule", "measured", "threshold", "result", title=f"gate {doc['profile']} — run {doc['run_id']}")
    for r in doc["rules"]:
        table.add_row(
            r["name"], r["measured"], r["threshold"], "[green]pass[/green]" if r["passed"] else "[red]FAIL[/red]"
        )
    console.print(table)
    go = doc["verdict"] == "GO"
    console.print(
        f"verdict: {'[bold green]GO[/bold green]' if go else '[bold red]NO-GO[/bold red]'}",
        highlight=False,
        soft_wrap=True,
    )
    for reason in doc["reasons"]:
        console.print(f"  [red]✗[/red] {reason}", highlight=False, soft_wrap=True)
    console.print(f"gate.md: {gate_md}", highlight=False, soft_wrap=True)
    if doc["report"]["index"]:
        console.print("report: `qa report --serve` (or open it over HTTP)", highlight=False, soft_wrap=True)


def history_table(records: list[RunRecord]) -> Table:
    """Past gate runs, oldest first: the trend of verdicts, pass counts, coverage and wall time."""
    table = Table(title="gate history")
    for column in ("run", "profile", "commit", "verdict", "tests passed", "flaky", "coverage", "wall time"):
        table.add_column(column, no_wrap=True)
    table.add_column("failed rules")
    for r in records:
        passed, executed = r.tests
        verdict = f"[green]{r.verdict}[/green]" if r.verdict == "GO" else f"[red]{r.verdict}[/red]"
        coverage = "-" if r.coverage is None else f"{r.coverage:.1f}%"
        table.add_row(
            r.run_id,
            r.profile,
            r.commit,
            verdict,
            f"{passed}/{executed}",
            str(len(r.flaky)),
            coverage,
            duration(r.wall_seconds),
            ", ".join(r.failed_rules),
        )
    return table
