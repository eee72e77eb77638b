"""The broker's dead-letter queues, read through the kernel's `dlq`, as the CRM's DeadLetters."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence

import aio_pika
import aiormq

from system.crm.ports import DeadLetterInfo, DeadLetterScan
from system.kernel.messaging import dlq
from system.kernel.messaging.queues import ALL_QUEUES
from system.kernel.messaging.topology import QueueSpec

# What an unreachable broker looks like (refused, reset, closed by HAProxy without a node behind it, no answer).
BROKER_DOWN = (aio_pika.exceptions.AMQPError, aiormq.exceptions.AMQPError, OSError, asyncio.TimeoutError)
# Messages read per DLQ and lookup, one round trip each; a DLQ longer than this is an incident of its own.
SCAN_LIMIT = 1000
Reader = Callable[[str, str, int], Awaitable[list[dlq.DeadLetter]]]  # (AMQP URL, DLQ, limit) -> its first letters


class BrokerUnavailable(RuntimeError):
    """RabbitMQ could not be asked for the dead letters (the lookup is answered 503; the client may retry)."""


class BrokerDeadLetters:
    """Looks at every work queue's DLQ and keeps the letters about one order.

    The kernel reads a DLQ by taking its messages unacknowledged and closing the connection, which puts them back:
    nothing is lost or reordered for good, but a lookup running at the same moment does not see the messages this
    one holds for those milliseconds.
    """

    def __init__(
        self,
        amqp_url: str,
        queues: Sequence[QueueSpec] = ALL_QUEUES,
        limit: int = SCAN_LIMIT,
        read: Reader = dlq.list_dead_letters,
    ) -> None:
        self.amqp_url = amqp_url
        self.queues = tuple(queues)
        self.limit = limit
        self.read = read

    async def for_order(self, order_id: uuid.UUID) -> DeadLetterScan:
        """The dead letters whose correlation id is `order_id`; BrokerUnavailable if RabbitMQ cannot be reached."""
        read = await asyncio.gather(
            *(self.read(self.amqp_url, q.dlq, self.limit) for q in self.queues), return_exceptions=True
        )
        scanned: list[list[dlq.DeadLetter]] = []
        for outcome in read:
            if isinstance(outcome, BROKER_DOWN):
                raise BrokerUnavailable(f"RabbitMQ unreachable: {outcome!r}") from outcome
            if isinstance(outcome, BaseException):
                raise outcome
            scanned.append(outcome)
        wanted = str(order_id)
        return DeadLetterScan(
            letters=[
                DeadLetterInfo(d.original_queue, d.message_id, d.type, d.attempts, d.reason)
                for found in scanned
                for d in found
                if d.correlation_id == wanted
            ],
            complete=all(len(found) < self.limit for found in scanned),
        )
