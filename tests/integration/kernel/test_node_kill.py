"""1,000 messages through outbox -> relay -> consumer while a RabbitMQ node is killed with -9 and restarted."""

from __future__ import annotations

import asyncio

import pytest

from system.stack.stack import Stack
from tests.plugins.messaging_rig import Rig, poll

TOTAL = 1_000
BATCH = 25


@pytest.mark.slow
@pytest.mark.parametrize("victim", [0, 1, 2], ids=["kill-rabbit1", "kill-rabbit2", "kill-rabbit3"])
async def test_every_message_takes_effect_exactly_once_across_a_node_kill(rig: Rig, stack: Stack, victim: int) -> None:
    node = stack.rabbitmq.nodes[victim]
    await rig.start_consumer()
    await rig.start_relay(batch_size=100)

    async def produce() -> None:
        for start in range(0, TOTAL, BATCH):
            await rig.enqueue(range(start, start + BATCH))
            await asyncio.sleep(0.02)  # pacing the producer so the kill lands mid-stream, not synchronisation

    producer = asyncio.create_task(produce())
    await poll(lambda: _at_least(rig, TOTAL // 4), within=60, what="a quarter of the effects")
    await asyncio.to_thread(node.kill)
    in_flight_at_kill = TOTAL - await rig.effect_count()
    await producer
    await asyncio.to_thread(node.start)
    await asyncio.to_thread(node.await_startup)

    await poll(lambda: _at_least(rig, TOTAL), within=180, what=f"{TOTAL} effects")
    await poll(lambda: _drained(rig), within=60, what="outbox and queue to drain")
    per_seq = await rig.effects_per_seq()
    lost = [s for s in range(TOTAL) if s not in per_seq]
    doubled = {s: n for s, n in per_seq.items() if n > 1}
    assert in_flight_at_kill > 0, "the node was killed after the stream had finished"
    assert lost == [], f"lost {len(lost)} messages"
    assert doubled == {}, f"double effects: {doubled}"
    assert await rig.effect_count() == TOTAL
    assert await rig.queue_depth(rig.spec.dlq) == 0
    await asyncio.to_thread(_wait_cluster_healthy, stack)


async def _at_least(rig: Rig, n: int) -> bool:
    return await rig.effect_count() >= n


async def _drained(rig: Rig) -> bool:
    return await rig.pending() == 0 and await rig.queue_depth(rig.spec.name) == 0


def _wait_cluster_healthy(stack: Stack) -> None:
    from system.stack.process import wait_until

    wait_until(lambda: all(ok for _, ok, _ in stack.rabbitmq.health()), timeout=60, what="cluster healthy")
