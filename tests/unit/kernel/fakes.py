"""In-memory fakes of the kernel's ports: inbox/transaction, publisher, and an incoming AMQP message."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from system.kernel.messaging.envelope import Envelope


class FakeTransaction:
    def __init__(self, inbox: FakeInbox) -> None:
        self.inbox = inbox
        self.claims: set[tuple[str, str]] = set()
        self.conn: list[Any] = []  # handlers append their "writes" here

    async def claim_many(self, consumer: str, envelopes: list[Envelope]) -> set[uuid.UUID]:
        fresh = set()
        for envelope in envelopes:
            key = (consumer, str(envelope.message_id))
            if key not in self.inbox.claimed and key not in self.claims:
                self.claims.add(key)
                fresh.add(envelope.message_id)
        return fresh


@dataclass
class FakeInbox:
    """Claims and effects become visible only when the transaction commits, as in PostgreSQL."""

    claimed: set[tuple[str, str]] = field(default_factory=set)
    effects: list[Any] = field(default_factory=list)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[FakeTransaction]:
        tx = FakeTransaction(self)
        yield tx  # an exception here skips the commit below: a rollback
        self.claimed |= tx.claims
        self.effects.extend(tx.conn)


@dataclass
class Published:
    exchange: str
    routing_key: str
    body: bytes
    message_id: str
    headers: dict[str, Any]


@dataclass
class FakePublisher:
    sent: list[Published] = field(default_factory=list)
    failing: bool = False

    async def publish(
        self,
        exchange: str,
        routing_key: str,
        body: bytes,
        *,
        message_id: str,
        message_type: str,
        headers: dict[str, Any] | None = None,
    ) -> None:
        if self.failing:
            raise ConnectionError("broker unreachable")
        self.sent.append(Published(exchange, routing_key, body, message_id, dict(headers or {})))


@dataclass
class FakeMessage:
    """The part of aio-pika's incoming message the consumer uses; records the state seen at ack time."""

    body: bytes
    headers: dict[str, Any] = field(default_factory=dict)
    message_id: str | None = None
    type: str | None = None
    inbox: FakeInbox | None = None
    acked: bool = False
    nacked: bool = False
    effects_at_ack: int | None = None

    async def ack(self) -> None:
        self.acked = True
        self.effects_at_ack = len(self.inbox.effects) if self.inbox else None

    async def nack(self, requeue: bool = True) -> None:
        self.nacked = True
