"""Consumer runner: decode, de-duplicate, handle in one transaction, ack after commit, retry or dead-letter."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue, AbstractRobustConnection
from opentelemetry import context, propagate, trace
from prometheus_client import Counter, Histogram
from pydantic import BaseModel

from system.kernel.messaging.catalogue import decode
from system.kernel.messaging.envelope import Envelope, UndecodableMessage
from system.kernel.messaging.inbox import Inbox
from system.kernel.messaging.publisher import MessagePublisher
from system.kernel.messaging.topology import QueueSpec, declare_queue

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

CONSUMED = Counter("messages_consumed_total", "Messages consumed, by outcome", ["queue", "type", "outcome"])
HANDLE_SECONDS = Histogram("message_handle_seconds", "Handler time including its transaction", ["queue"])

Handler = Callable[[Any, Envelope, Any], Awaitable[None]]  # (transaction's conn, envelope, payload)
Decoder = Callable[[bytes], tuple[Envelope, BaseModel]]

ATTEMPT_HEADER = "x-attempt"
REASON_HEADER = "x-death-reason"


class PermanentError(Exception):
    """A handler's verdict that retrying cannot help: the message goes straight to the DLQ."""


class Consumer:
    """Runs handlers for one work queue with inbox de-duplication, backoff retries and a DLQ."""

    def __init__(
        self,
        spec: QueueSpec,
        inbox: Inbox,
        handlers: dict[str, Handler],
        publisher: MessagePublisher,
        *,
        decoder: Decoder = decode,
        prefetch: int = 64,
    ) -> None:
        self.spec = spec
        self.inbox = inbox
        self.handlers = handlers
        self.publisher = publisher
        self.decoder = decoder
        self.prefetch = prefetch
        self._connection: AbstractRobustConnection | None = None
        self._queue: AbstractQueue | None = None  # strong reference: robust queues must stay alive

    async def start(self, url: str) -> None:
        """Connect (robustly), declare the topology and start consuming."""
        self._connection = await aio_pika.connect_robust(url, timeout=10)
        channel = await self._connection.channel()
        await channel.set_qos(prefetch_count=self.prefetch)
        self._queue = await declare_queue(channel, self.spec)
        await self._queue.consume(self.on_message)
        log.info("consuming", extra={"queue": self.spec.name, "prefetch": self.prefetch})

    async def stop(self) -> None:
        if self._connection is not None:
            await self._connection.close()

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        """Process one delivery; it is acked only after its outcome is durable."""
        ctx = propagate.extract(dict(message.headers or {}))
        token = context.attach(ctx)
        try:
            with tracer.start_as_current_span(f"{self.spec.name} process", kind=trace.SpanKind.CONSUMER):
                await self._process(message)
        finally:
            context.detach(token)

    async def _process(self, message: AbstractIncomingMessage) -> None:
        try:
            envelope, payload = self.decoder(message.body)
        except UndecodableMessage as exc:
            await self._dead_letter(message, f"undecodable: {exc}", "?")
            return
        handler = self.handlers.get(envelope.type)
        if handler is None:
            await self._dead_letter(message, f"no handler for message type {envelope.type!r}", envelope.type)
            return
        trace.get_current_span().set_attributes(
            {"messaging.message.id": str(envelope.message_id), "order.id": envelope.correlation_id}
        )
        started = time.perf_counter()
        try:
            async with self.inbox.transaction() as tx:
                fresh = await tx.claim(self.spec.name, envelope)
                if fresh:
                    await handler(tx.conn, envelope, payload)
        except PermanentError as exc:
            await self._dead_letter(message, f"rejected by handler: {exc}", envelope.type)
            return
        except Exception as exc:
            await self._retry_or_dead_letter(message, envelope, exc)
            return
        finally:
            HANDLE_SECONDS.labels(self.spec.name).observe(time.perf_counter() - started)
        outcome = "processed" if fresh else "duplicate"
        CONSUMED.labels(self.spec.name, envelope.type, outcome).inc()
        log.debug("message %s", outcome, extra=_ids(envelope))
        await _ack(message)

    async def _retry_or_dead_letter(self, message: AbstractIncomingMessage, envelope: Envelope, exc: Exception) -> None:
        attempt = int((message.headers or {}).get(ATTEMPT_HEADER, 0) or 0) + 1
        if attempt >= self.spec.max_attempts:
            await self._dead_letter(message, f"failed after {attempt} attempts: {exc!r}", envelope.type)
            return
        target = self.spec.retry_queue(attempt)
        log.warning(
            "handler failed, retrying via %s", target, extra={**_ids(envelope), "attempt": attempt, "error": repr(exc)}
        )
        await self._forward(message, target, {ATTEMPT_HEADER: attempt, "x-last-error": repr(exc)[:500]})
        CONSUMED.labels(self.spec.name, envelope.type, "retried").inc()

    async def _dead_letter(self, message: AbstractIncomingMessage, reason: str, message_type: str) -> None:
        log.error(
            "dead-lettering message",
            extra={"queue": self.spec.name, "reason": reason, "message_id": message.message_id},
        )
        await self._forward(message, self.spec.dlq, {REASON_HEADER: reason[:1000], "x-original-queue": self.spec.name})
        CONSUMED.labels(self.spec.name, message_type, "dead_lettered").inc()

    async def _forward(self, message: AbstractIncomingMessage, queue: str, extra: dict[str, Any]) -> None:
        """Copy the message to `queue` with confirms, then ack the original (at-least-once)."""
        headers = {**(message.headers or {}), **extra}
        try:
            await self.publisher.publish(
                "",
                queue,
                message.body,
                message_id=message.message_id or "",
                message_type=message.type or "",
                headers=headers,
            )
        except Exception:
            log.exception("could not forward to %s; leaving the message to be redelivered", queue)
            await _nack(message)
            return
        await _ack(message)


def _ids(envelope: Envelope) -> dict[str, str]:
    return {"message_id": str(envelope.message_id), "message_type": envelope.type, "order_id": envelope.correlation_id}


async def _ack(message: AbstractIncomingMessage) -> None:
    # If the channel died, the broker redelivers the message and the inbox absorbs the duplicate.
    try:
        await message.ack()
    except Exception as exc:
        log.warning("ack failed (message will be redelivered): %r", exc)


async def _nack(message: AbstractIncomingMessage) -> None:
    try:
        await message.nack(requeue=True)
    except Exception as exc:
        log.warning("nack failed: %r", exc)
