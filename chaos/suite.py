"""`qa run chaos` (python -m chaos.suite): the profile's experiments against the local stack, one after another,
each reported to Allure and metrics.json; exit 1 if any experiment found something, 2 if it could not run.

Profiles: pr runs the leader kill with a short stream; release and nightly run every experiment with 300 orders.
CHAOS_EXPERIMENTS (comma-separated names) and CHAOS_ORDERS override them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import sys

from chaos import report
from chaos.experiments import EXPERIMENTS
from chaos.runner import Outcome, Plan, run
from pipelines import metrics
from pipelines.allure import AllureWriter
from system.stack.stack import Stack

PROFILES: dict[str, tuple[list[str], Plan]] = {
    "pr": (["broker-kill-leader"], Plan(orders=60, concurrency=12, pace=0.3)),
    "release": (list(EXPERIMENTS), Plan()),
    "nightly": (list(EXPERIMENTS), Plan()),
}


def selected(profile: str) -> tuple[list[str], Plan]:
    """The experiments and traffic plan of a profile, with the environment's overrides."""
    names, plan = PROFILES.get(profile, PROFILES["release"])
    if chosen := os.environ.get("CHAOS_EXPERIMENTS"):
        names = [n.strip() for n in chosen.split(",") if n.strip()]
    unknown = [n for n in names if n not in EXPERIMENTS]
    if unknown:
        raise SystemExit(f"unknown experiment(s) {unknown}; known: {', '.join(EXPERIMENTS)}")
    if orders := os.environ.get("CHAOS_ORDERS"):
        plan = dataclasses.replace(plan, orders=int(orders))
    return names, plan


async def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if os.environ.get("QA_TARGET"):
        print("chaos: faults are injected into the local stack's processes; it cannot run against --target")
        return 2
    names, plan = selected(os.environ.get("QA_PROFILE", "release"))
    writer, stack, outcomes = AllureWriter.from_env(), Stack(), []
    for name in names:
        print(f"chaos: {name}: {EXPERIMENTS[name].title} ({plan.orders} orders)", flush=True)
        outcome: Outcome = await run(EXPERIMENTS[name], stack, plan)
        report.write(writer, outcome)
        outcomes.append(outcome)
        print(f"chaos: {name}: {report.figures(outcome)}", flush=True)
    metrics.record(report.metrics(outcomes))
    return 0 if all(o.passed for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
