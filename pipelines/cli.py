"""`qa`: the local stack, the suites, the release gate, the Allure report and the history of runs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from pipelines import gate, report
from pipelines.console import ConsoleEvents, history_table, print_verdict
from pipelines.history import History
from pipelines.paths import DEFAULT_POLICY, default_runs_dir
from pipelines.policy import PolicyError, load_policy
from pipelines.run_folder import latest_run, new_run
from pipelines.runner import measure_coverage
from pipelines.stack_guard import StackUnavailable
from pipelines.suites import SuiteError, lookup
from system.stack import cli as stack_cli

app = typer.Typer(
    name="qa",
    help="Release quality: run suites, judge a release candidate GO or NO-GO, build the Allure report.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()

# The stack commands are the stack's own (`python -m system.stack`), so both spellings behave the same; so is
# `--runtime containers` (before the command), which every stack of the run and of its suites then uses.
app.callback()(stack_cli.main)
app.command("up")(stack_cli.up)
app.command("down")(stack_cli.down)
app.command("status")(stack_cli.status)

PolicyOpt = Annotated[Path, typer.Option("--policy", envvar="QA_POLICY", help="gate policy (profiles, extra suites)")]
RunsOpt = Annotated[
    Path | None, typer.Option("--runs-dir", help="run folders (default: reports/runs, or $QA_RUNS_DIR)")
]
TargetOpt = Annotated[
    str | None, typer.Option("--target", help="URL of an already running environment (the local stack is not used)")
]


def _fail(message: str, code: int = gate.EXIT_GATE_ERROR) -> typer.Exit:
    console.print(f"[red]{message}[/red]", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@app.command()
def suites(policy: PolicyOpt = DEFAULT_POLICY) -> None:
    """List the registered suites: where each lives, whether it is built yet, whether it needs the stack."""
    try:
        registry = load_policy(policy).registry
    except PolicyError as exc:
        raise _fail(str(exc)) from exc
    table = Table()
    for column in ("suite", "kind", "location", "built", "needs stack"):
        table.add_column(column, no_wrap=True)
    table.add_column("what")
    for s in registry.values():
        table.add_row(
            s.name,
            s.kind,
            s.location,
            "yes" if s.built() else "[yellow]not yet[/yellow]",
            "yes" if s.needs_stack else "no",
            s.description,
        )
    console.print(table)


@app.command()
def run(
    names: Annotated[list[str], typer.Argument(metavar="SUITE...", help="suites to run, in order")],
    target: TargetOpt = None,
    reruns: Annotated[int, typer.Option(help="re-run a failed test this many times (a pass then is flaky)")] = 0,
    build_report: Annotated[bool, typer.Option("--report", help="also build the Allure report")] = False,
    policy: PolicyOpt = DEFAULT_POLICY,
    runs_dir: RunsOpt = None,
) -> None:
    """Run suites into a new run folder. Exit 0 all passed, 1 a test failed, 2 a suite could not run."""
    try:
        chosen = lookup(load_policy(policy).registry, names)
    except (PolicyError, SuiteError) as exc:
        raise _fail(str(exc)) from exc
    ctx = new_run(runs_dir or default_runs_dir(), "run", None, target, reruns)
    events = ConsoleEvents(console)
    events.stage(f"run {ctx.run_id}: {ctx.run_dir}")
    try:
        results = gate.run_suites(chosen, ctx, events)
    except StackUnavailable as exc:
        raise _fail(str(exc)) from exc
    coverage = measure_coverage(ctx)
    if coverage is not None:
        events.stage(f"coverage of system/: {coverage:.1f}% ({ctx.run_dir / 'coverage.json'})")
    if build_report:
        try:
            index = report.generate(ctx.results_dir, ctx.run_dir / report.REPORT_DIR)
            events.stage(f"report: {index}")
        except report.ReportError as exc:
            raise _fail(str(exc)) from exc
    if any(f.built and f.summary.failed + f.summary.broken for f in results.values()):
        raise typer.Exit(1)
    if any(not f.built or f.exit_code != 0 or not f.summary.executed for f in results.values()):
        raise typer.Exit(2)


@app.command("gate")
def gate_(
    profile: Annotated[str, typer.Option(help="policy profile: pr, release, nightly")] = "pr",
    target: TargetOpt = None,
    policy: PolicyOpt = DEFAULT_POLICY,
    runs_dir: RunsOpt = None,
    run_id: Annotated[str | None, typer.Option(help="name of the run folder (default: time and profile)")] = None,
    build_report: Annotated[bool, typer.Option("--report/--no-report", help="build the Allure HTML report")] = True,
    report_url: Annotated[str | None, typer.Option(help="URL the report is published at, for links")] = None,
) -> None:
    """The release gate: suites, policy, gate.json + gate.md, report. Exit 0 GO, 1 NO-GO, 2 the gate could not run."""
    wall_start = os.environ.get("QA_WALL_START")  # set by `make gate`, so the set-up counts in the wall time
    options = gate.GateOptions(
        profile=profile,
        policy=policy,
        runs_dir=runs_dir or default_runs_dir(),
        target=target,
        run_id=run_id,
        report=build_report,
        report_url=report_url,
        wall_start=float(wall_start) if wall_start else None,
    )
    try:
        result = gate.run_gate(options, ConsoleEvents(console))
    except gate.GateError as exc:
        raise _fail(f"the gate could not run: {exc}") from exc
    except Exception as exc:  # a crash of the gate itself must never read as NO-GO (exit 1)
        console.print_exception()
        raise _fail(f"the gate could not run: {exc!r}") from exc
    print_verdict(console, result.document, str(result.run_dir / "gate.md"))
    raise typer.Exit(result.exit_code)


@app.command("report")
def report_(
    run_id: Annotated[str | None, typer.Option("--run", help="run folder name (default: the latest run)")] = None,
    serve: Annotated[bool, typer.Option("--serve", help="serve the report over HTTP until Ctrl-C")] = False,
    port: Annotated[int, typer.Option(help="port for --serve")] = 8088,
    runs_dir: RunsOpt = None,
) -> None:
    """Build the Allure HTML report of a run (the latest by default); --serve shows it in a browser."""
    runs = runs_dir or default_runs_dir()
    run_dir = runs / run_id if run_id else latest_run(runs)
    if run_dir is None or not (run_dir / "allure-results").is_dir():
        raise _fail(f"no run {run_id or ''} under {runs}: run `qa gate` or `qa run` first")
    try:
        index = report.generate(run_dir / "allure-results", run_dir / report.REPORT_DIR)
        console.print(f"report: {index}", highlight=False, soft_wrap=True)
        if serve:
            server = report.serve(run_dir / report.REPORT_DIR, port=port)
            console.print(
                f"serving http://127.0.0.1:{server.server_address[1]}/ — Ctrl-C to stop",
                highlight=False,
                soft_wrap=True,
            )
            try:
                server.serve_forever()
            except KeyboardInterrupt:
                server.server_close()
    except report.ReportError as exc:
        raise _fail(str(exc)) from exc


@app.command()
def history(
    profile: Annotated[str | None, typer.Option(help="only this profile")] = None,
    limit: Annotated[int, typer.Option(help="last N runs")] = 20,
    runs_dir: RunsOpt = None,
) -> None:
    """The trend of past gate runs: verdicts, pass counts, flaky tests, coverage, wall time."""
    records = History(runs_dir or default_runs_dir()).records(profile)[-limit:]
    if not records:
        console.print("no gate runs yet: run `qa gate`")
        return
    console.print(history_table(records))
