"""What a service runs beside its API: its outbox relay and its consumers, started and stopped with the app."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aio_pika
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine
from tenacity import AsyncRetrying, wait_exponential

from system.kernel.messaging.consumer import Consumer, Handler
from system.kernel.messaging.inbox import SqlInbox
from system.kernel.messaging.outbox import OutboxRelay
from system.kernel.messaging.publisher import Publisher
from system.kernel.messaging.queues import ALL_QUEUES
from system.kernel.messaging.topology import QueueSpec, declare_exchanges, declare_queue

log = logging.getLogger(__name__)


async def declare_topology(url: str) -> None:
    """Declare every exchange and work queue of the system (idempotent)."""
    connection = await aio_pika.connect(url, timeout=10)
    try:
        channel = await connection.channel()
        await declare_exchanges(channel)
        for spec in ALL_QUEUES:
            await declare_queue(channel, spec)
    finally:
        await connection.close()


class MessagingRuntime:
    """Relay + consumers of one service; keeps retrying in the background until the broker is reachable."""

    def __init__(
        self,
        url: str,
        engine: AsyncEngine,
        *,
        outbox: Table,
        inbox: Table,
        consumers: list[tuple[QueueSpec, dict[str, Handler]]],
        prefetch: int = 64,
    ) -> None:
        self.url = url
        self.engine = engine
        self.outbox = outbox
        self.inbox = inbox
        self.consumer_handlers = consumers
        self.prefetch = prefetch
        self.ready = False
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._consumers: list[Consumer] = []
        self._publisher: Publisher | None = None

    def start(self) -> None:
        """Start in the background (the API serves meanwhile; /readyz says when messaging is up)."""
        self._tasks.append(asyncio.create_task(self._run()))

    async def _run(self) -> None:
        async for attempt in AsyncRetrying(wait=wait_exponential(multiplier=0.5, max=10)):
            with attempt:
                await self._connect()
        self.ready = True
        log.info("messaging up", extra={"queues": [s.name for s, _ in self.consumer_handlers]})

    async def _connect(self) -> None:
        try:
            await declare_topology(self.url)
            self._publisher = Publisher(self.url)
            await self._publisher.connect()
            for spec, handlers in self.consumer_handlers:
                consumer = Consumer(
                    spec, SqlInbox(self.engine, self.inbox), handlers, self._publisher, prefetch=self.prefetch
                )
                await consumer.start(self.url)
                self._consumers.append(consumer)
        except Exception as exc:
            log.warning("messaging not up yet, retrying: %r", exc)
            await self._close_clients()
            raise
        relay = OutboxRelay(self.engine, self.outbox, self._publisher)
        self._tasks += [asyncio.create_task(relay.run(self._stop)), asyncio.create_task(self._gauges(relay))]

    async def _gauges(self, relay: OutboxRelay) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(Exception):
                await relay.measure_backlog()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=5)

    async def check(self) -> None:
        """Readiness check: raises until the relay and consumers run."""
        if not self.ready:
            raise RuntimeError("messaging not connected yet")

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            if not task.done() and task is self._tasks[0]:
                task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._close_clients()

    async def _close_clients(self) -> None:
        for consumer in self._consumers:
            await consumer.stop()
        self._consumers = []
        if self._publisher is not None:
            await self._publisher.close()
            self._publisher = None
