"""An experiment's outcome as an Allure result (figures, findings, history, timeline picture) and as figures in
the run's metrics.json for the gate's rules."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Sequence

from chaos.plot import timeline_svg
from chaos.runner import RECOVERY_LIMIT_S, Outcome
from pipelines.allure import AllureWriter

KINDS = ("lost", "duplicated", "stuck", "disagreeing")


def figures(outcome: Outcome) -> dict[str, float]:
    """The measured figures of one experiment."""
    summary = outcome.verdict.summary()
    return {
        **{k: float(v) for k, v in summary.items()},
        "driver_failures": float(len(outcome.history.failures)),
        "retries": float(outcome.history.retries()),
        "dlq_depth": float(outcome.dlq_depth),
        "recovery_first_s": round(outcome.recovery_first_s, 2) if outcome.recovery_first_s is not None else -1.0,
        "recovery_all_s": round(outcome.recovery_all_s, 2) if outcome.recovery_all_s is not None else -1.0,
    }


def metrics(outcomes: Sequence[Outcome]) -> dict[str, float]:
    """Per-experiment figures and the totals the gate's rules read."""
    values: dict[str, float] = {}
    for o in outcomes:
        values |= {f"chaos.{o.experiment.name}.{k}": v for k, v in figures(o).items()}
    total = {k: sum(o.verdict.count(k) for o in outcomes) for k in KINDS}
    recoveries = [o.recovery_first_s if o.recovery_first_s is not None else float("inf") for o in outcomes]
    values |= {
        "chaos.lost_messages": float(total["lost"]),  # names the gate already used before this suite existed
        "chaos.duplicate_effects": float(total["duplicated"]),
        "chaos.stuck_orders": float(total["stuck"]),
        "chaos.disagreeing_orders": float(total["disagreeing"]),
        "chaos.driver_failures": float(sum(len(o.history.failures) for o in outcomes)),
        "chaos.dlq_depth": float(sum(o.dlq_depth for o in outcomes)),
        "chaos.recovery_s": min(max(recoveries, default=0.0), 3600.0),
        "chaos.orders": float(sum(o.verdict.orders for o in outcomes)),
    }
    return values


def write(writer: AllureWriter, outcome: Outcome) -> None:
    """One Allure result for the experiment, failed with the reasons if anything was found."""
    o, exp = outcome, outcome.experiment
    reasons = [f"{f.kind}: order {f.order_id}: {f.detail}" for f in o.verdict.findings[:20]]
    reasons += [f"driver gave up: {k}: {v}" for k, v in list(o.history.failures.items())[:10]]
    if o.dlq_depth:
        reasons.append(f"{o.dlq_depth} message(s) in dead-letter queues")
    if o.recovery_first_s is None or o.recovery_first_s > RECOVERY_LIMIT_S:
        reasons.append(f"recovery {o.recovery_first_s} s > {RECOVERY_LIMIT_S} s")
    t0 = o.started
    svg = timeline_svg(
        exp.title,
        [t - t0 for t in o.history.acked_at.values()],
        [t - t0 for t in o.history.settled_at.values()],
        (o.fault_window[0] - t0, o.fault_window[1] - t0),
    )
    writer.test(
        exp.title,
        "passed" if o.passed else "failed",
        full_name=f"chaos.{exp.name}",
        message="; ".join(reasons),
        measurements=figures(o),
        parameters={"experiment": exp.name, "fault held (s)": exp.hold, "traced requests": f"{o.trace_ratio:.0%}"},
        labels={"epic": "messaging", "feature": "resilience under faults", "story": exp.name},
        attachments={
            "timeline.svg": svg,
            "findings.json": json.dumps([f.__dict__ for f in o.verdict.findings], indent=1),
            "history.csv": _history_csv(o),
            "what the system did.txt": "\n".join(o.observations) or "(nothing recorded for this fault)",
        },
        start=time.time() - (time.monotonic() - o.started),
        stop=time.time(),
    )


def _history_csv(outcome: Outcome) -> str:
    out = io.StringIO()
    rows = csv.writer(out)
    rows.writerow(["order", "op", "started_s", "ended_s", "status"])
    for c in outcome.history.calls:
        rows.writerow(
            [c.order, c.op, f"{c.started - outcome.started:.3f}", f"{c.ended - outcome.started:.3f}", c.status]
        )
    return out.getvalue()
