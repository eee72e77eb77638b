"""Broker topology: topic exchanges, quorum work queues and their dead-letter queues.

For a work queue Q:
- Q: quorum queue, bound to its exchanges; messages the broker itself gives up on (delivery limit, e.g. a
  consumer that crashes on every delivery) are dead-lettered at-least-once to Q.dlq.
- Q.dlq: where messages end after their last attempt or at once when undecodable, reason in headers.

The backoff between attempts is kept by the consumer (ADR 007), not by TTL delay queues: on RabbitMQ 3.10 a
quorum delay queue whose leader moved could hold an expired message for minutes (the chaos suite's partition).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractQueue

from system.kernel.messaging.catalogue import EXCHANGES

AT_LEAST_ONCE = {"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}


@dataclass(frozen=True)
class QueueSpec:
    """A work queue: its bindings, the backoff delays between attempts and the attempt budget, and how long a
    message may wait for its predecessor (`RetryLater`)."""

    name: str
    bindings: tuple[tuple[str, str], ...] = ()  # (exchange, routing key pattern)
    retry_delays_ms: tuple[int, ...] = (1_000, 5_000, 30_000, 120_000)
    # Waiting for a predecessor is not a failure: polls that double up to a cap, on a budget of their own (ADR 008).
    wait_delay_bounds_ms: tuple[int, int] = (1_000, 15_000)
    # Broker-side cap; a node crash also counts as a delivery, hence the margin above our own attempts.
    delivery_limit: int = 20
    extra_args: dict[str, object] = field(default_factory=dict)

    @property
    def max_attempts(self) -> int:
        return len(self.retry_delays_ms) + 1

    @property
    def dlq(self) -> str:
        return f"{self.name}.dlq"

    def retry_delay_s(self, attempt: int) -> float:
        """The backoff after failed attempt number `attempt` (1-based); the last step repeats."""
        return self.retry_delays_ms[min(attempt, len(self.retry_delays_ms)) - 1] / 1000

    def wait_delay_ms(self, waited_ms: int) -> int:
        """The pause before a message that has waited `waited_ms` for its predecessor is tried again: as long
        again as it has waited, within the bounds."""
        low, high = self.wait_delay_bounds_ms
        return min(max(waited_ms, low), high)

    @property
    def wait_budget_ms(self) -> int:
        """How long a message may wait for its predecessor: twice the predecessor's whole retry budget, so a
        predecessor still being retried (say, through a database restart) always arrives within it."""
        return 2 * sum(self.retry_delays_ms)


def quorum(**args: Any) -> dict[str, Any]:
    return {"x-queue-type": "quorum", **args}


async def declare_exchanges(channel: AbstractChannel, names: list[str] | None = None) -> None:
    """Declare the durable topic exchanges (all of the catalogue's by default)."""
    for name in names if names is not None else EXCHANGES:
        await channel.declare_exchange(name, aio_pika.ExchangeType.TOPIC, durable=True)


async def declare_queue(channel: AbstractChannel, spec: QueueSpec) -> AbstractQueue:
    """Declare Q and its DLQ, and bind Q; idempotent."""
    await channel.declare_queue(spec.dlq, durable=True, arguments=quorum())
    queue = await channel.declare_queue(
        spec.name,
        durable=True,
        arguments=quorum(
            **{
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": spec.dlq,
                "x-delivery-limit": spec.delivery_limit,
            },
            **AT_LEAST_ONCE,
            **spec.extra_args,
        ),
    )
    for exchange, key in spec.bindings:
        await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        await queue.bind(exchange, key)
    return queue
