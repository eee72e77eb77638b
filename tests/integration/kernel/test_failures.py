"""Poison messages, transient failures and retries on the real broker."""

from __future__ import annotations

import logging
from typing import Any

import aio_pika
import pytest

from system.kernel.messaging.dlq import list_dead_letters, replay
from system.kernel.messaging.envelope import Envelope
from system.kernel.messaging.outbox import add_to_outbox
from tests.plugins.messaging_rig import RefusedUntilFixed, Rig, message, outbox, poll, record_effect


async def publish_raw(rig: Rig, body: bytes, message_id: str) -> None:
    connection = await aio_pika.connect(rig.url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(rig.exchange)
        await exchange.publish(
            aio_pika.Message(body, message_id=message_id, delivery_mode=aio_pika.DeliveryMode.PERSISTENT), "test"
        )
    finally:
        await connection.close()


async def test_poison_messages_end_in_the_dlq_with_reasons_while_others_are_served(rig: Rig) -> None:
    always_failing = message(-1)

    async def handler(conn: Any, envelope: Envelope, payload: Any) -> None:
        if envelope.message_id == always_failing.message_id:
            raise RuntimeError("printer database says no")
        await record_effect(conn, envelope, payload)

    await rig.start_consumer({"order.cancelled": handler})
    await rig.start_relay()
    await publish_raw(rig, b"\x00\xffnot json at all", "undecodable-1")
    await publish_raw(rig, b'{"type": "order.cancelled"}', "missing-fields-1")
    await rig.enqueue(range(0, 50))
    async with rig.engine.begin() as conn:
        await add_to_outbox(conn, outbox, always_failing, exchange=rig.exchange)
    await rig.enqueue(range(50, 100))

    await poll(lambda: _count(rig, 100), within=30, what="the 100 good messages")
    await poll(lambda: _depth(rig, rig.spec.dlq, 3), within=30, what="3 messages in the DLQ")
    letters = {d.message_id: d for d in await list_dead_letters(rig.url, rig.spec.dlq)}
    assert letters["undecodable-1"].reason.startswith("undecodable: invalid envelope")
    assert "message_id" in letters["missing-fields-1"].reason or "Field required" in letters["missing-fields-1"].reason
    failing = letters[str(always_failing.message_id)]
    assert failing.reason.startswith(f"failed after {rig.spec.max_attempts} attempts")
    assert "printer database says no" in failing.reason
    assert failing.attempts == rig.spec.max_attempts
    assert sorted(await rig.effects_per_seq()) == list(range(100))


async def test_a_permanent_error_is_dead_lettered_at_once_and_can_be_replayed(rig: Rig) -> None:
    handler = RefusedUntilFixed()
    await rig.start_consumer({"order.cancelled": handler})
    await rig.start_relay()
    await rig.enqueue(range(7, 8))
    await poll(lambda: _depth(rig, rig.spec.dlq, 1), within=30, what="the message in the DLQ")
    [letter] = await list_dead_letters(rig.url, rig.spec.dlq)
    assert letter.reason == "rejected by handler: order 42 does not exist"
    assert letter.attempts == 1

    handler.fixed = True
    assert await replay(rig.url, rig.spec.dlq) == 1
    await poll(lambda: _count(rig, 1), within=30, what="the replayed message to take effect")
    assert await rig.effects_per_seq() == {7: 1}
    assert await rig.queue_depth(rig.spec.dlq) == 0


async def test_a_transient_failure_is_retried_with_growing_delays_then_succeeds(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    attempts: list[int] = []

    async def flaky(conn: Any, envelope: Envelope, payload: Any) -> None:
        attempts.append(len(attempts))
        if len(attempts) < 3:
            raise ConnectionError("S3 timed out")
        await record_effect(conn, envelope, payload)

    caplog.set_level(logging.WARNING, logger="system.kernel.messaging.consumer")
    await rig.start_consumer({"order.cancelled": flaky})
    await rig.start_relay()
    await rig.enqueue(range(1, 2))
    await poll(lambda: _count(rig, 1), within=30, what="the message to succeed on its third attempt")
    assert len(attempts) == 3
    # Each failure holds the message for the next backoff step before putting it back: 200 ms, then 400 ms.
    # Which backoffs were chosen, not how long it took: no wall-clock assertion.
    backoffs = [r.args[0] for r in caplog.records if r.getMessage().startswith("handler failed, retrying in")]
    assert backoffs == [rig.spec.retry_delay_s(1), rig.spec.retry_delay_s(2)] == [0.2, 0.4]
    assert await rig.effects_per_seq() == {1: 1}
    assert await rig.queue_depth(rig.spec.dlq) == 0


async def test_a_duplicate_delivery_has_no_second_effect(rig: Rig) -> None:
    await rig.start_consumer()
    env = message(5)
    body = env.to_bytes()
    for _ in range(3):
        await publish_raw(rig, body, str(env.message_id))
    await rig.start_relay()
    await rig.enqueue(range(6, 7))
    await poll(lambda: _count(rig, 2), within=30, what="both messages")
    await poll(lambda: _depth(rig, rig.spec.name, 0), within=30, what="the queue to drain")
    assert await rig.effects_per_seq() == {5: 1, 6: 1}


async def test_two_relays_publish_each_outbox_row_once(rig: Rig) -> None:
    seen: dict[str, int] = {}
    connection = await aio_pika.connect_robust(rig.url)
    channel = await connection.channel()
    queue = await channel.declare_queue(f"test.{rig.name}.count")
    await queue.bind(await channel.declare_exchange(rig.exchange, aio_pika.ExchangeType.TOPIC, durable=True), "#")

    async def count(msg: aio_pika.abc.AbstractIncomingMessage) -> None:
        seen[msg.message_id or ""] = seen.get(msg.message_id or "", 0) + 1
        await msg.ack()

    await queue.consume(count)
    await rig.enqueue(range(0, 2000))
    first, second = await rig.start_relay(batch_size=50), await rig.start_relay(batch_size=50)
    await poll(lambda: _pending(rig, 0), within=60, what="the outbox to be published")
    await poll(lambda: _received(seen, 2000), within=30, what="2000 distinct messages")
    await poll(lambda: _depth(rig, queue.name, 0), within=30, what="the counting queue to drain")
    await queue.delete(if_unused=False, if_empty=False)
    await connection.close()
    assert first.sent > 0 and second.sent > 0, "both relays should have taken part"
    assert first.sent + second.sent == 2000
    assert {n for n in seen.values()} == {1}


async def _count(rig: Rig, n: int) -> bool:
    return await rig.effect_count() >= n


async def _depth(rig: Rig, queue: str, n: int) -> bool:
    return await rig.queue_depth(queue) == n


async def _pending(rig: Rig, n: int) -> bool:
    return await rig.pending() == n


async def _received(seen: dict[str, int], n: int) -> bool:
    return len(seen) >= n
