"""Transactional outbox: record messages with the data change, publish them later with confirms."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from opentelemetry import propagate, trace
from prometheus_client import Counter, Gauge
from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from system.kernel.messaging.catalogue import route
from system.kernel.messaging.envelope import Envelope
from system.kernel.messaging.publisher import MessagePublisher, PublishFailed

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

RELAYED = Counter("outbox_relayed_total", "Outbox rows published and marked sent")
RELAY_ERRORS = Counter("outbox_relay_errors_total", "Relay batches that failed and will be retried")
PENDING = Gauge("outbox_pending", "Outbox rows not yet published (as last seen by this relay)")
OLDEST_AGE = Gauge("outbox_oldest_pending_seconds", "Age of the oldest unpublished outbox row")
HELD_BACK = Counter("outbox_held_back_total", "Rows left for later because an older row of their key was pending")


async def add_to_outbox(
    conn: AsyncConnection,
    outbox: Table,
    *envelopes: Envelope,
    exchange: str | None = None,
    routing_key: str | None = None,
) -> None:
    """Record envelopes for publishing, inside the caller's transaction (with the current trace context)."""
    headers: dict[str, Any] = {}
    propagate.inject(headers)
    rows = [
        {
            "message_id": e.message_id,
            "message_type": e.type,
            "exchange": route(e.type).exchange if exchange is None else exchange,
            "routing_key": routing_key or e.type,
            "body": e.to_bytes(),
            "headers": headers,
            "ordering_key": e.correlation_id,
        }
        for e in envelopes
    ]
    await conn.execute(insert(outbox), rows)


class OutboxRelay:
    """Publishes pending rows in id order; safe to run in several replicas (FOR UPDATE SKIP LOCKED).

    SKIP LOCKED alone lets a second replica overtake a first one that stalls holding a batch: the CRM then
    saw a reprint's second round before its first, and dead-lettered the late first round (found by the chaos
    suite's frozen-consumer and partition experiments). So a row whose key has an older pending row outside
    this batch waits, and the rows of one key are published one after another.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        outbox: Table,
        publisher: MessagePublisher,
        *,
        batch_size: int = 500,
        idle_interval: float = 0.05,
    ) -> None:
        self.engine = engine
        self.outbox = outbox
        self.publisher = publisher
        self.batch_size = batch_size
        self.idle_interval = idle_interval
        self.sent = 0  # rows this relay instance has published

    async def relay_batch(self) -> int:
        """Publish one batch and mark it sent in the same transaction; return how many rows were sent."""
        t = self.outbox
        async with self.engine.begin() as conn:
            rows = (
                await conn.execute(
                    select(
                        t.c.id,
                        t.c.message_id,
                        t.c.message_type,
                        t.c.exchange,
                        t.c.routing_key,
                        t.c.body,
                        t.c.headers,
                        t.c.ordering_key,
                    )
                    .where(t.c.published_at.is_(None))
                    .order_by(t.c.id)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            rows = await self._in_order(conn, rows)
            if not rows:
                return 0
            try:
                await self._publish_all(rows)
            except PublishFailed:
                RELAY_ERRORS.inc()
                raise
            await conn.execute(
                update(t)
                .where(t.c.id.in_([r.id for r in rows]))
                .values(published_at=func.now(), attempts=t.c.attempts + 1)
            )
        RELAYED.inc(len(rows))
        self.sent += len(rows)
        return len(rows)

    async def _in_order(self, conn: AsyncConnection, rows: Sequence[Any]) -> list[Any]:
        """The claimed rows that no older pending row of the same key (claimed by another relay, or not yet
        visible) must precede."""
        t = self.outbox
        keys = {r.ordering_key for r in rows if r.ordering_key is not None}
        if not keys:
            return list(rows)
        claimed = [r.id for r in rows]
        oldest_elsewhere = dict(
            (
                await conn.execute(
                    select(t.c.ordering_key, func.min(t.c.id))
                    .where(t.c.published_at.is_(None), t.c.ordering_key.in_(keys), t.c.id.not_in(claimed))
                    .group_by(t.c.ordering_key)
                )
            ).all()
        )
        ready = [r for r in rows if r.id < oldest_elsewhere.get(r.ordering_key, r.id + 1)]
        if held := [r for r in rows if r.id >= oldest_elsewhere.get(r.ordering_key, r.id + 1)]:
            HELD_BACK.inc(len(held))
            keys_held = sorted({str(r.ordering_key) for r in held})
            log.info("outbox: %d row(s) held back behind older ones of %s", len(held), ", ".join(keys_held[:5]))
        return ready

    async def _publish_all(self, rows: Sequence[Any]) -> None:
        # Confirms are pipelined on the channel: publishing a batch concurrently is what makes it fast; the
        # rows of one key go one after another, each confirmed before the next, so they arrive in order.
        by_key: dict[Any, list[Any]] = {}
        for r in rows:
            by_key.setdefault(r.ordering_key if r.ordering_key is not None else r.id, []).append(r)
        await asyncio.gather(*(self._publish_in_turn(group) for group in by_key.values()))

    async def _publish_in_turn(self, rows: Sequence[Any]) -> None:
        for r in rows:
            await self._publish(r)

    async def _publish(self, r: Any) -> None:
        # The span continues the trace of the transaction that wrote the row, so one order stays one trace
        # although the relay publishes later, from another task.
        with tracer.start_as_current_span(
            f"{r.exchange} publish",
            context=propagate.extract(dict(r.headers)),
            kind=trace.SpanKind.PRODUCER,
            attributes={"messaging.message.id": str(r.message_id), "messaging.message.type": r.message_type},
        ):
            headers = dict(r.headers)
            propagate.inject(headers)
            await self.publisher.publish(
                r.exchange,
                r.routing_key,
                r.body,
                message_id=str(r.message_id),
                message_type=r.message_type,
                headers=headers,
            )

    async def measure_backlog(self) -> int:
        """Update the pending-rows gauges; return the pending count."""
        t = self.outbox
        async with self.engine.connect() as conn:
            count, oldest = (
                await conn.execute(
                    select(func.count(), func.extract("epoch", func.now() - func.min(t.c.created_at))).where(
                        t.c.published_at.is_(None)
                    )
                )
            ).one()
        PENDING.set(count)
        OLDEST_AGE.set(float(oldest or 0))
        return int(count)

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set; a failed batch is retried after a short pause (rows stay pending)."""
        log.info("outbox relay started", extra={"batch_size": self.batch_size})
        while not stop.is_set():
            try:
                sent = await self.relay_batch()
            except Exception as exc:  # broker or DB away: keep the rows, try again shortly
                log.warning("outbox batch failed, will retry", extra={"error": repr(exc)})
                sent = 0
                await _wait(stop, 1.0)
                continue
            if sent < self.batch_size:
                await _wait(stop, self.idle_interval)
        log.info("outbox relay stopped")


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
