"""Consumer runner behaviour with in-memory fakes: de-duplication, ack after commit, retries, dead-lettering."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.trace import SpanContext
from prometheus_client import REGISTRY

from system.kernel.messaging.catalogue import OrderCancelled
from system.kernel.messaging.consumer import (
    ATTEMPT_HEADER,
    REASON_HEADER,
    WAITED_HEADER,
    Consumer,
    PermanentError,
    RetryLater,
    message_span_context,
)
from system.kernel.messaging.envelope import Envelope
from system.kernel.messaging.topology import QueueSpec
from tests.unit.kernel.fakes import FakeInbox, FakeMessage, FakePublisher

SPEC = QueueSpec(name="mes.crm-events", retry_delays_ms=(100, 1000, 5000))


def envelope(reason: str = "changed my mind") -> Envelope:
    return Envelope.wrap(
        OrderCancelled(order_id=uuid.uuid4(), reason=reason),
        type="order.cancelled",
        producer="crm",
        correlation_id="o-1",
    )


class Harness:
    def __init__(self, behaviour: Any = None, hold: bool = False) -> None:
        self.inbox = FakeInbox()
        self.publisher = FakePublisher()
        self.calls = 0
        self.behaviour = behaviour
        self.failing_reasons = {"changed my mind"}

        async def handler(conn: list[Any], env: Envelope, payload: OrderCancelled) -> None:
            self.calls += 1
            conn.append(payload.reason)
            if self.behaviour is not None and payload.reason in self.failing_reasons:
                raise self.behaviour

        self.waits: list[float] = []  # the backoffs the consumer waited out, without waiting in the test

        async def wait(seconds: float) -> None:
            self.waits.append(seconds)
            if hold:  # a backoff that does not end while the test looks
                await asyncio.Event().wait()

        self.consumer = Consumer(SPEC, self.inbox, {"order.cancelled": handler}, self.publisher, sleep=wait)

    async def deliver(self, body: bytes, headers: dict[str, Any] | None = None) -> FakeMessage:
        msg = FakeMessage(body=body, headers=headers or {}, message_id="m", type="order.cancelled", inbox=self.inbox)
        await self.consumer.process([msg])  # type: ignore[list-item]
        await self.consumer.backoffs_done()
        return msg

    async def deliver_batch(self, bodies: list[bytes]) -> list[FakeMessage]:
        msgs = [
            FakeMessage(body=b, message_id=str(i), type="order.cancelled", inbox=self.inbox)
            for i, b in enumerate(bodies)
        ]
        await self.consumer.process(msgs)  # type: ignore[arg-type]
        await self.consumer.backoffs_done()
        return msgs


async def test_a_message_is_handled_and_acked_only_after_its_effect_committed() -> None:
    h = Harness()
    msg = await h.deliver(envelope().to_bytes())
    assert h.inbox.effects == ["changed my mind"]
    assert msg.acked and msg.effects_at_ack == 1
    assert h.publisher.sent == []


async def test_a_redelivered_message_has_no_second_effect() -> None:
    h = Harness()
    body = envelope().to_bytes()
    first, second = await h.deliver(body), await h.deliver(body)
    assert h.calls == 1
    assert h.inbox.effects == ["changed my mind"]
    assert first.acked and second.acked


async def test_an_undecodable_body_goes_to_the_dlq_with_its_reason_and_is_acked() -> None:
    h = Harness()
    msg = await h.deliver(b"{not json")
    [dead] = h.publisher.sent
    assert (dead.exchange, dead.routing_key) == ("", "mes.crm-events.dlq")
    assert dead.headers[REASON_HEADER].startswith("undecodable: invalid envelope")
    assert dead.headers["x-original-queue"] == "mes.crm-events"
    assert dead.body == b"{not json"
    assert msg.acked and h.calls == 0


async def test_a_payload_breaking_its_schema_is_dead_lettered_naming_the_field() -> None:
    h = Harness()
    env = Envelope(type="order.cancelled", producer="crm", correlation_id="o", payload={"order_id": "nope"})
    await h.deliver(env.to_bytes())
    [dead] = h.publisher.sent
    assert "order.cancelled payload order_id" in dead.headers[REASON_HEADER]


async def test_a_type_without_handler_is_dead_lettered() -> None:
    h = Harness()
    env = Envelope(type="order.confirmed", producer="crm", correlation_id="o", payload={"order_id": str(uuid.uuid4())})
    await h.deliver(env.to_bytes())
    assert h.publisher.sent[0].headers[REASON_HEADER] == "no handler for message type 'order.confirmed'"


async def test_a_failure_is_rolled_back_held_for_its_backoff_then_put_back_on_the_work_queue() -> None:
    h = Harness(behaviour=ConnectionError("db away"))
    msg = await h.deliver(envelope().to_bytes())
    [retry] = h.publisher.sent
    assert (retry.exchange, retry.routing_key) == ("", "mes.crm-events") and h.waits == [0.1]
    assert retry.headers[ATTEMPT_HEADER] == 1
    assert msg.acked and msg.effects_at_ack == 0
    assert h.inbox.effects == [] and h.inbox.claimed == set(), "the failed attempt must leave nothing behind"

    h.behaviour = None
    await h.deliver(retry.body, retry.headers)
    assert h.inbox.effects == ["changed my mind"], "the retry is not mistaken for a duplicate"


@pytest.mark.parametrize(("attempt_before", "backoff"), [(1, 1.0), (2, 5.0)])
async def test_each_retry_waits_longer(attempt_before: int, backoff: float) -> None:
    h = Harness(behaviour=ConnectionError("still down"))
    await h.deliver(envelope().to_bytes(), {ATTEMPT_HEADER: attempt_before})
    assert h.waits == [backoff] and h.publisher.sent[0].headers[ATTEMPT_HEADER] == attempt_before + 1


async def test_a_message_in_its_backoff_stays_unacked_so_a_crash_gives_it_back() -> None:
    h = Harness(behaviour=ConnectionError("db away"), hold=True)
    msg = FakeMessage(body=envelope().to_bytes(), message_id="m", type="order.cancelled", inbox=h.inbox)
    await h.consumer.process([msg])  # type: ignore[list-item]
    await asyncio.sleep(0)  # let the backoff task start
    assert h.waits == [0.1] and not msg.acked and h.publisher.sent == []  # still waiting out its backoff
    await h.consumer.stop()  # the process goes away: nothing was acked, the broker redelivers
    assert not msg.acked and h.publisher.sent == []


async def test_the_last_attempt_goes_to_the_dlq_with_the_error() -> None:
    h = Harness(behaviour=ConnectionError("still down"))
    await h.deliver(envelope().to_bytes(), {ATTEMPT_HEADER: SPEC.max_attempts - 1})
    [dead] = h.publisher.sent
    assert dead.routing_key == "mes.crm-events.dlq"
    assert dead.headers[REASON_HEADER].startswith("failed after 4 attempts: ConnectionError('still down')")


async def wait_out(h: Harness, deliveries: int) -> list[str]:
    """Deliver a message, then each copy the consumer put back, `deliveries` times; the queues the copies went to."""
    body, headers = envelope().to_bytes(), {}
    for _ in range(deliveries):
        await h.deliver(body, headers)
        body, headers = h.publisher.sent[-1].body, h.publisher.sent[-1].headers
    return [sent.routing_key for sent in h.publisher.sent]


async def test_waiting_for_a_predecessor_does_not_spend_the_failure_budget() -> None:
    # The chaos suite's postgres-kill: production.shipped #3 overtook #2, which was retried through the database
    # restart, and was dead-lettered after its 5 attempts while #2 was still coming.
    h = Harness(behaviour=RetryLater("production.shipped #3 waits for #2"))
    queues = await wait_out(h, SPEC.max_attempts + 1)
    assert queues == ["mes.crm-events"] * (SPEC.max_attempts + 1)
    assert h.waits == [1.0, 1.0, 2.0, 4.0, 8.0], "polls double from 1 s"
    assert ATTEMPT_HEADER not in h.publisher.sent[-1].headers

    h.behaviour = None  # the predecessor has arrived
    await h.deliver(h.publisher.sent[-1].body, h.publisher.sent[-1].headers)
    assert h.inbox.effects == ["changed my mind"]


async def test_a_message_still_waiting_after_its_budget_is_dead_lettered_with_what_it_waits_for() -> None:
    h = Harness(behaviour=RetryLater("production.shipped #3 waits for #2"))
    queues = await wait_out(h, 6)
    assert queues[-1] == "mes.crm-events.dlq" and queues[:-1] == ["mes.crm-events"] * (len(queues) - 1)
    assert sum(h.waits) * 1000 >= SPEC.wait_budget_ms >= 2 * sum(SPEC.retry_delays_ms)
    assert h.publisher.sent[-1].headers[REASON_HEADER] == "still waiting after 16 s: production.shipped #3 waits for #2"


async def test_waiting_and_failing_keep_separate_budgets() -> None:
    h = Harness(behaviour=RetryLater("waits for #2"))
    await h.deliver(envelope().to_bytes(), {ATTEMPT_HEADER: SPEC.max_attempts - 1})
    assert h.publisher.sent[-1].routing_key == "mes.crm-events", "a last attempt may still wait"

    h.behaviour = ConnectionError("db away")
    await h.deliver(envelope().to_bytes(), {WAITED_HEADER: SPEC.wait_budget_ms})
    assert h.publisher.sent[-1].routing_key == "mes.crm-events", "a spent wait leaves every attempt"
    assert h.publisher.sent[-1].headers[ATTEMPT_HEADER] == 1


async def test_a_permanent_error_skips_the_retries() -> None:
    h = Harness(behaviour=PermanentError("order unknown"))
    await h.deliver(envelope().to_bytes())
    [dead] = h.publisher.sent
    assert dead.routing_key == "mes.crm-events.dlq"
    assert dead.headers[REASON_HEADER] == "rejected by handler: order unknown"


async def test_when_forwarding_fails_the_message_is_requeued_not_acked() -> None:
    h = Harness(behaviour=ConnectionError("db away"))
    h.publisher.failing = True
    msg = await h.deliver(envelope().to_bytes())
    assert msg.nacked and not msg.acked


async def test_a_batch_shares_one_transaction_and_acks_every_message() -> None:
    h = Harness()
    envs = [envelope(f"r{i}") for i in range(5)]
    msgs = await h.deliver_batch([e.to_bytes() for e in envs] + [envs[0].to_bytes()])
    assert sorted(h.inbox.effects) == [f"r{i}" for i in range(5)], "the copy of r0 in the same batch is a duplicate"
    assert all(m.acked for m in msgs)
    assert {m.effects_at_ack for m in msgs} == {5}, "acks come after the one commit"


def consumed(outcome: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "messages_consumed_total", {"queue": SPEC.name, "type": "order.cancelled", "outcome": outcome}
        )
        or 0.0
    )


async def test_duplicates_are_counted_as_duplicates_alone_and_in_a_batch() -> None:
    h = Harness()
    first, second = envelope("a"), envelope("b")
    await h.deliver(first.to_bytes())
    before = (consumed("processed"), consumed("duplicate"))
    await h.deliver_batch([first.to_bytes(), second.to_bytes(), second.to_bytes()])
    await h.deliver(second.to_bytes())
    assert (consumed("processed") - before[0], consumed("duplicate") - before[1]) == (1, 3)


async def test_one_failing_message_in_a_batch_only_decides_its_own_fate() -> None:
    h = Harness(behaviour=ConnectionError("db away"))
    good, bad = envelope("fine"), envelope("changed my mind")
    msgs = await h.deliver_batch([good.to_bytes(), b"garbage", bad.to_bytes()])
    assert h.inbox.effects == ["fine"]
    assert [p.routing_key for p in h.publisher.sent] == ["mes.crm-events.dlq", "mes.crm-events"]
    assert all(m.acked for m in msgs)


async def test_messages_of_one_order_go_to_one_worker_in_delivery_order() -> None:
    h = Harness()
    orders = [f"order-{n}" for n in range(8)]
    sent = [Envelope.wrap(OrderCancelled(order_id=uuid.uuid4(), reason=f"{o} #{i}"), type="order.cancelled",
                          producer="crm", correlation_id=o) for i in range(3) for o in orders]  # fmt: skip
    for e in sent:
        await h.consumer._dispatch(FakeMessage(body=e.to_bytes(), message_id=str(e.message_id), inbox=h.inbox))  # type: ignore[arg-type]
    buffers = [[item[1] for item in b._queue] for b in h.consumer._buffers]  # type: ignore[attr-defined]
    assert sum(map(len, buffers)) == len(sent) and sum(1 for b in buffers if b) > 1, "orders spread over workers"
    for order in orders:
        holding = [b for b in buffers if any(e.correlation_id == order for e in b)]
        assert len(holding) == 1, f"{order} is handled by one worker"
        assert [e.payload["reason"] for e in holding[0] if e.correlation_id == order] == [
            f"{order} #{i}" for i in range(3)
        ]


TRACE_ID, PUBLISH_SPAN = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PUBLISH_SPAN}-01"  # the span the message was published in


def ids(ctx: SpanContext | None) -> tuple[str, str] | None:
    return (format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")) if ctx else None


@dataclass
class ContextRecordingPublisher(FakePublisher):
    """Records which trace context was current when each copy was published."""

    contexts: list[SpanContext] = field(default_factory=list)

    async def publish(self, exchange: str, routing_key: str, body: bytes, **kwargs: Any) -> None:
        self.contexts.append(trace.get_current_span().get_span_context())
        await super().publish(exchange, routing_key, body, **kwargs)


@pytest.mark.parametrize("failure", [ConnectionError("database away"), PermanentError("never valid")])
async def test_a_retried_or_dead_lettered_copy_is_published_in_the_message_s_trace(failure: Exception) -> None:
    """The instrumented publish starts its span in the current context and puts that span's id on the copy: from
    outside the message's trace, a retried message would leave its order's trace."""
    h = Harness(failure)
    h.publisher = h.consumer.publisher = ContextRecordingPublisher()
    await h.deliver(envelope().to_bytes(), headers={"traceparent": TRACEPARENT})
    assert [ids(c) for c in h.publisher.contexts] == [(TRACE_ID, PUBLISH_SPAN)]
    assert h.publisher.sent[0].headers["traceparent"] == TRACEPARENT
    assert not trace.get_current_span().get_span_context().is_valid, "the message's context is left behind"


async def test_a_handler_sees_the_span_context_its_message_was_published_in() -> None:
    seen: list[SpanContext | None] = []

    async def handler(conn: list[Any], env: Envelope, payload: OrderCancelled) -> None:
        seen.append(message_span_context())

    inbox = FakeInbox()
    consumer = Consumer(SPEC, inbox, {"order.cancelled": handler}, FakePublisher())
    traced = FakeMessage(envelope().to_bytes(), {"traceparent": TRACEPARENT}, "m1", "order.cancelled", inbox)
    untraced = FakeMessage(envelope().to_bytes(), {}, "m2", "order.cancelled", inbox)
    await consumer.process([traced])  # type: ignore[list-item]
    await consumer.process([untraced])  # type: ignore[list-item]
    assert [ids(c) for c in seen] == [(TRACE_ID, PUBLISH_SPAN), None]
    assert message_span_context() is None, "outside a handler there is no message"
