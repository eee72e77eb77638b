"""Prometheus and Alertmanager on the real stack: every target scraped, and alerts proven by real faults."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import allure
import httpx
import pytest

from system.kernel.messaging.dlq import replay
from system.stack.process import wait_until
from system.stack.stack import Stack
from tests.plugins.alerts import AlertReceiver
from tests.plugins.messaging_rig import RefusedUntilFixed, Rig, poll


def _query(stack: Stack, promql: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{stack.prometheus.url}/api/v1/query", params={"query": promql}, timeout=10)
    answer.raise_for_status()
    return list(answer.json()["data"]["result"])


def _report(name: str, **seconds: float) -> None:
    """Print the measured times and attach them to the Allure result."""
    text = "\n".join(f"{what}: {value:.1f} s" for what, value in seconds.items())
    print(f"{name}: {text}")
    allure.attach(text, name=f"{name} (measured)", attachment_type=allure.attachment_type.TEXT)


def test_every_replica_worker_haproxy_and_broker_node_is_scraped(stack: Stack) -> None:
    expected = {(svc.name, proc.name) for svc in stack.services for proc in svc.replicas}
    every_node = {f"rabbit{i + 1}" for i in range(stack.settings.rabbit_nodes)}

    def all_up() -> bool:
        up = _query(stack, "up == 1")
        seen = {(r["metric"]["job"], r["metric"].get("replica")) for r in up}
        jobs = {job for job, _ in seen}
        nodes = {r["metric"].get("node") for r in up if r["metric"]["job"] == "rabbitmq"}
        return expected <= seen and {"haproxy", "rabbitmq-queues"} <= jobs and nodes == every_node

    # A node restarted by an earlier test reads as down until Prometheus scrapes it again: poll, don't sample.
    wait_until(all_up, timeout=60, what="every replica, HAProxy and every broker node up in Prometheus")


def test_queue_depths_and_consumers_come_from_the_broker_per_queue(stack: Stack) -> None:
    def reported() -> bool:
        queues = {r["metric"]["queue"] for r in _query(stack, "max by (queue) (rabbitmq_detailed_queue_consumers)")}
        return {"pricing.requests", "mes.crm-events", "crm.mes-events", "pricing.requests.dlq"} <= queues

    wait_until(reported, timeout=30, what="per-queue consumer counts in Prometheus")
    [consumers] = _query(stack, 'max(rabbitmq_detailed_queue_consumers{queue="pricing.requests"})')
    assert float(consumers["value"][1]) >= 1  # the pricing workers consume it


async def test_a_dead_letter_fires_the_dlq_alert_and_replaying_it_resolves_it(
    rig: Rig, alert_receiver: AlertReceiver
) -> None:
    handler = RefusedUntilFixed()
    await rig.start_consumer({"order.cancelled": handler})
    await rig.start_relay()
    await rig.enqueue(range(1))
    await poll(lambda: _depth(rig, rig.spec.dlq, 1), within=30, what="the message in the DLQ")
    dead_at = time.monotonic()
    fired = await asyncio.to_thread(
        alert_receiver.wait_for, "DeadLetterQueueNotEmpty", "firing", dead_at, 90, queue=rig.spec.dlq
    )
    assert fired.receiver == "tickets" and fired.labels["severity"] == "ticket"

    handler.fixed = True
    assert await replay(rig.url, rig.spec.dlq) == 1
    await poll(lambda: _depth(rig, rig.spec.dlq, 0), within=30, what="the DLQ to empty")
    replayed_at = time.monotonic()
    await asyncio.to_thread(
        alert_receiver.wait_for, "DeadLetterQueueNotEmpty", "resolved", replayed_at, 120, queue=rig.spec.dlq
    )
    resolved = alert_receiver.find("DeadLetterQueueNotEmpty", "resolved", replayed_at, queue=rig.spec.dlq)
    assert resolved is not None
    assert await rig.effects_per_seq() == {0: 1}
    _report("dead-letter alert", fired_after=fired.at - dead_at, resolved_after=resolved.at - replayed_at)


@pytest.mark.slow
def test_a_killed_broker_node_pages_and_the_page_resolves_when_it_is_back(
    stack: Stack, alert_receiver: AlertReceiver
) -> None:
    node = stack.rabbitmq.nodes[2]
    killed_at = time.monotonic()
    node.kill()
    try:
        fired = alert_receiver.wait_for("BrokerNodeDown", "firing", killed_at, 120, node="rabbit3")
    finally:
        node.start()
        node.await_startup()
    restarted_at = time.monotonic()
    resolved = alert_receiver.wait_for("BrokerNodeDown", "resolved", restarted_at, 120, node="rabbit3")
    wait_until(lambda: all(ok for _, ok, _ in stack.rabbitmq.health()), timeout=60, what="cluster healthy")
    assert fired.receiver == "pager"
    assert alert_receiver.find("BrokerQuorumLost", "firing", killed_at) is None  # two of three still run
    _report("broker node down", fired_after=fired.at - killed_at, resolved_after=resolved.at - restarted_at)


async def _depth(rig: Rig, queue: str, n: int) -> bool:
    return await rig.queue_depth(queue) == n
