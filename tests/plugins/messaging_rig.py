"""A small producer/consumer pair on the real stack: outbox -> relay -> RabbitMQ -> consumer -> effects."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import pytest
from sqlalchemy import Column, Integer, Table, Uuid, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from system.kernel.db import new_metadata
from system.kernel.messaging.catalogue import OrderCancelled
from system.kernel.messaging.consumer import Consumer, Handler, PermanentError
from system.kernel.messaging.envelope import Envelope
from system.kernel.messaging.inbox import SqlInbox
from system.kernel.messaging.outbox import OutboxRelay, add_to_outbox
from system.kernel.messaging.publisher import Publisher
from system.kernel.messaging.tables import inbox_table, outbox_table
from system.kernel.messaging.topology import QueueSpec
from system.stack.stack import Stack
from tests.plugins.stack import scratch_database

metadata = new_metadata()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
# No unique constraint on purpose: a double effect must be visible as a second row.
effects = Table(
    "effects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("message_id", Uuid, nullable=False),
)


def message(seq: int) -> Envelope:
    """Test message number `seq` (an `order.cancelled`, so it is a real catalogue contract)."""
    return Envelope.wrap(
        OrderCancelled(order_id=uuid.uuid4(), reason=f"seq {seq}"),
        type="order.cancelled",
        producer="test",
        correlation_id=f"seq-{seq}",
    )


RECORD = insert(effects)  # built once: SQLAlchemy reuses its compiled form for every message


async def record_effect(conn: Any, envelope: Envelope, payload: OrderCancelled) -> None:
    await conn.execute(RECORD, {"seq": int(payload.reason.split()[1]), "message_id": envelope.message_id})


@dataclass
class RefusedUntilFixed:
    """A handler that rejects every message permanently (to the DLQ at once) until the test sets `fixed`."""

    reason: str = "order 42 does not exist"
    fixed: bool = False

    async def __call__(self, conn: Any, envelope: Envelope, payload: OrderCancelled) -> None:
        if not self.fixed:
            raise PermanentError(self.reason)
        await record_effect(conn, envelope, payload)


async def poll(check: Callable[[], Awaitable[bool]], *, within: float, what: str) -> None:
    """Await `check` until true; fail naming `what` after `within` seconds."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(0.1)


@dataclass
class Rig:
    """Everything one test needs, with names unique to that test."""

    engine: AsyncEngine
    url: str
    name: str
    retry_delays_ms: tuple[int, ...] = (200, 400, 800)
    relays: list[OutboxRelay] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _publishers: list[Publisher] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    consumer: Consumer | None = None

    @property
    def exchange(self) -> str:
        return f"test.{self.name}"

    @property
    def spec(self) -> QueueSpec:
        return QueueSpec(
            name=f"test.{self.name}", bindings=((self.exchange, "#"),), retry_delays_ms=self.retry_delays_ms
        )

    async def publisher(self) -> Publisher:
        publisher = Publisher(self.url)
        await publisher.connect()
        self._publishers.append(publisher)
        return publisher

    async def start_consumer(self, handlers: dict[str, Handler] | None = None, prefetch: int = 64) -> Consumer:
        handlers = handlers or {"order.cancelled": record_effect}
        self.consumer = Consumer(
            self.spec, SqlInbox(self.engine, inbox), handlers, await self.publisher(), prefetch=prefetch
        )
        await self.consumer.start(self.url)
        return self.consumer

    async def start_relay(self, batch_size: int = 500) -> OutboxRelay:
        relay = OutboxRelay(self.engine, outbox, await self.publisher(), batch_size=batch_size)
        self.relays.append(relay)
        self._tasks.append(asyncio.create_task(relay.run(self._stop)))
        return relay

    async def enqueue(self, seqs: range) -> None:
        """Write messages to the outbox, one transaction for the lot."""
        async with self.engine.begin() as conn:
            await add_to_outbox(conn, outbox, *(message(seq) for seq in seqs), exchange=self.exchange)

    async def scalar(self, query: Any) -> int:
        async with self.engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def effect_count(self) -> int:
        return await self.scalar(select(func.count()).select_from(effects))

    async def pending(self) -> int:
        return await self.scalar(select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None)))

    async def effects_per_seq(self) -> dict[int, int]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(effects.c.seq, func.count()).group_by(effects.c.seq))).all()
        return {seq: count for seq, count in rows}

    async def queue_depth(self, queue: str) -> int:
        connection = await aio_pika.connect(self.url)
        try:
            channel = await connection.channel()
            declared = await channel.declare_queue(queue, passive=True)
            return int(declared.declaration_result.message_count or 0)
        finally:
            await connection.close()

    async def close(self) -> None:
        """Stop relays and consumer, delete the test's queues."""
        self._stop.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.consumer is not None:
            await self.consumer.stop()
        for publisher in self._publishers:
            await publisher.close()
        await delete_topology(self.url, self.spec)


async def delete_topology(url: str, spec: QueueSpec) -> None:
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel()
        for queue in [spec.name, spec.dlq]:
            await channel.queue_delete(queue)
        for exchange, _ in spec.bindings:
            await channel.exchange_delete(exchange)
    finally:
        await connection.close()


@pytest.fixture
async def rig(stack: Stack, unique: str) -> AsyncIterator[Rig]:
    """A fresh database (outbox, inbox, effects) and queue names for one messaging test."""
    async with scratch_database(stack, f"msg_{unique}", metadata) as engine:
        rig = Rig(engine=engine, url=stack.settings.amqp_url, name=unique)
        try:
            yield rig
        finally:
            await rig.close()
