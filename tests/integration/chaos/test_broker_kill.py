"""The short chaos experiment of `make test`: the leader of the busiest queues is killed (-9) while orders flow
through every step (placing, pricing, confirming, cancelling, production, delivery); nothing may be lost,
duplicated, stuck or disagreeing, and nothing may end in a dead-letter queue."""

from __future__ import annotations

from chaos import report
from chaos.experiments import EXPERIMENTS
from chaos.runner import Plan, run
from system.stack.stack import Stack


async def test_a_broker_node_killed_mid_flow_loses_and_duplicates_nothing(stack: Stack) -> None:
    outcome = await run(EXPERIMENTS["broker-kill-leader"], stack, Plan(orders=40, concurrency=10, pace=0.3))
    print(f"\n{outcome.experiment.name}: {report.figures(outcome)}")
    assert outcome.verdict.orders == 40
    assert outcome.verdict.findings == []
    assert outcome.history.failures == {}
    assert outcome.dlq_depth == 0
    assert outcome.passed
    scripts = set(outcome.history.acknowledged.values())
    assert scripts == {"cancel-quoted", "cancel-confirmed", "deliver", "reprint"}, "every path was exercised"
