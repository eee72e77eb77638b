"""`qa gate` end to end: a run folder, the stack if needed, the suites, the verdict, the report, the history."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipelines import gate_report, gate_results, metrics, report
from pipelines.history import History, RunRecord
from pipelines.policy import Facts, PolicyError, Profile, SuiteFacts, Verdict, evaluate, load_policy, outcome_key
from pipelines.results import read_outcomes
from pipelines.run_folder import commit, new_run
from pipelines.runner import Events, RunContext, measure_coverage, run_suite
from pipelines.stack_guard import StackUnavailable, local_stack
from pipelines.suites import Suite, SuiteError, lookup

EXIT_GO, EXIT_NO_GO, EXIT_GATE_ERROR = 0, 1, 2


class GateError(RuntimeError):
    """The gate itself could not run (exit 2): bad policy, no stack, no report."""


@dataclass(frozen=True)
class GateOptions:
    profile: str
    policy: Path
    runs_dir: Path
    target: str | None = None
    run_id: str | None = None
    report: bool = True
    report_url: str | None = None  # where the report will be published; gate.md links there when given
    wall_start: float | None = None  # epoch seconds when `make gate` began, so set-up counts in the wall time


@dataclass(frozen=True)
class GateResult:
    run_dir: Path
    exit_code: int
    verdict: Verdict
    document: dict[str, object] = field(default_factory=dict)


def run_suites(suites: list[Suite], ctx: RunContext, events: Events) -> dict[str, SuiteFacts]:
    """Run `suites` in order with the stack they need; StackUnavailable if it could not be started."""
    needed = any(s.needs_stack and s.built() for s in suites)
    with local_stack(needed, ctx.target, events.stage):
        return {s.name: run_suite(s, ctx, events) for s in suites}


def _profile(options: GateOptions) -> tuple[Profile, list[Suite]]:
    try:
        policy = load_policy(options.policy)
        profile = policy.profile(options.profile)
        return profile, lookup(policy.registry, list(profile.suites))
    except (PolicyError, SuiteError) as exc:
        raise GateError(str(exc)) from exc


def _report(ctx: RunContext, runs_dir: Path, events: Events) -> tuple[dict[tuple[str, str], str], str | None]:
    """Build the report, continuing the profile's trends; (links to its test cases, or the error)."""
    events.stage("building the Allure report")
    report_dir = ctx.run_dir / report.REPORT_DIR
    try:
        report.generate(ctx.results_dir, report_dir, runs_dir / "allure-history" / ctx.profile)
    except report.ReportError as exc:
        return {}, str(exc)
    return report.case_uids(report_dir), None


def _record(ctx: RunContext, started: datetime, wall: float, facts: Facts, verdict: Verdict) -> RunRecord:
    return RunRecord(
        run_id=ctx.run_id,
        profile=ctx.profile,
        started_at=started.isoformat(timespec="seconds"),
        commit=commit(),
        verdict=verdict.text,
        wall_seconds=wall,
        target=ctx.target or "local stack",
        suites={
            n: {"built": f.built, "exit_code": f.exit_code, "seconds": round(f.seconds, 1), **f.summary.as_dict()}
            for n, f in facts.suites.items()
        },
        coverage=facts.coverage,
        metrics=dict(facts.metrics),
        failing={outcome_key(o): o.name for o in facts.outcomes if o.failing},
        flaky={outcome_key(o): o.name for o in facts.outcomes if o.flaky},
        failed_rules=[r.name for r in verdict.rules if not r.passed],
    )


def run_gate(options: GateOptions, events: Events) -> GateResult:
    """The whole gate; GateError when it could not run, else a result whose exit code is the verdict."""
    started, wall_start = datetime.now(UTC), options.wall_start or time.time()
    profile, suites = _profile(options)
    ctx = new_run(options.runs_dir, profile.name, options.run_id, options.target, profile.reruns)
    events.stage(f"run {ctx.run_id}: profile {profile.name}, suites {', '.join(profile.suites)}")
    try:
        ran = run_suites(suites, ctx, events)
    except StackUnavailable as exc:
        raise GateError(str(exc)) from exc
    facts = Facts(ran, read_outcomes(ctx.results_dir), measure_coverage(ctx), metrics.read(ctx.metrics_file))
    history = History(options.runs_dir)
    previous = history.previous(profile.name)
    verdict = evaluate(profile, facts, previous.baseline() if previous else None)
    events.stage(f"verdict {verdict.text}")
    # Among the results before the report is built, so the report's overview counts the verdict and its rules.
    gate_results.write(ctx.results_dir, profile.name, verdict)

    uids, report_error = _report(ctx, options.runs_dir, events) if options.report else ({}, None)
    base = (options.report_url or f"{report.REPORT_DIR}/") if options.report else None
    record = _record(ctx, started, time.time() - wall_start, facts, verdict)
    wall_times = {**history.wall_times(), profile.name: record}
    doc = gate_report.gate_document(record, verdict, facts, previous, wall_times, uids, base, report_error)
    gate_report.write(ctx.run_dir, doc)
    history.append(record)
    events.stage(f"gate finished in {gate_report.duration(time.time() - wall_start)}")
    if report_error:
        raise GateError(f"verdict {verdict.text}, but {report_error} (gate.json and gate.md are in {ctx.run_dir})")
    return GateResult(ctx.run_dir, EXIT_GO if verdict.go else EXIT_NO_GO, verdict, doc)
