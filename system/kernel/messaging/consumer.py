"""Consumer runner: decode, de-duplicate, handle in one transaction, ack after commit, retry or dead-letter.

Deliveries are handled in batches: under load, the messages waiting in the prefetch buffer share one
database transaction (one inbox insert, one commit), which is what lets a consumer keep up with the
broker. If anything in a batch fails, the batch is rolled back and each message is redone on its own,
so one bad message decides only its own fate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import zlib
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue, AbstractRobustConnection
from opentelemetry import context, propagate, trace
from opentelemetry.trace import SpanContext
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
BATCH_SECONDS = Histogram("message_batch_seconds", "Handling time of one batch, transaction included", ["queue"])

Handler = Callable[[Any, Envelope, Any], Awaitable[None]]  # (transaction's conn, envelope, payload)
Decoder = Callable[[bytes], tuple[Envelope, BaseModel]]
Item = tuple[AbstractIncomingMessage, Envelope, BaseModel]

ATTEMPT_HEADER = "x-attempt"
WAITED_HEADER = "x-waited-ms"
REASON_HEADER = "x-death-reason"
_MESSAGE_SPAN = context.create_key("message-span-context")


class PermanentError(Exception):
    """A handler's verdict that retrying cannot help: the message goes straight to the DLQ."""


class RetryLater(Exception):
    """The message cannot apply yet (it overtook one it depends on, e.g. after a retry elsewhere): it waits and is
    tried again, on a budget of its own that outlasts the predecessor's retries, and is dead-lettered with this
    reason if it still cannot apply after that (ADR 008)."""


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
        batch_size: int = 100,
        concurrency: int = 4,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.spec = spec
        self.inbox = inbox
        self.handlers = handlers
        self.publisher = publisher
        self.decoder = decoder
        self.prefetch = prefetch
        self.batch_size = batch_size
        self.concurrency = concurrency
        self._connection: AbstractRobustConnection | None = None
        self._queue: AbstractQueue | None = None  # strong reference: robust queues must stay alive
        # One buffer per worker; messages of one order (correlation id) always go to the same worker, so they
        # are applied in the order the broker delivered them while different orders proceed in parallel.
        self._buffers: list[asyncio.Queue[Item]] = [asyncio.Queue() for _ in range(concurrency)]
        self._workers: list[asyncio.Task[None]] = []
        self._sleep = sleep
        self._backoffs: set[asyncio.Task[None]] = set()  # messages waiting out their backoff, still unacked

    async def start(self, url: str) -> None:
        """Connect (robustly), declare the topology and start consuming."""
        self._connection = await aio_pika.connect_robust(url, timeout=10)
        channel = await self._connection.channel()
        await channel.set_qos(prefetch_count=self.prefetch)
        self._queue = await declare_queue(channel, self.spec)
        self._workers = [asyncio.create_task(self._work(buffer)) for buffer in self._buffers]
        await self._queue.consume(self._dispatch)
        log.info("consuming", extra={"queue": self.spec.name, "prefetch": self.prefetch})

    async def stop(self) -> None:
        # Messages still in their backoff stay unacked: the broker gives them to another consumer.
        for task in [*self._workers, *self._backoffs]:
            task.cancel()
        await asyncio.gather(*self._workers, *self._backoffs, return_exceptions=True)
        if self._connection is not None:
            await self._connection.close()

    async def _dispatch(self, message: AbstractIncomingMessage) -> None:
        item = await self._decode(message)
        if item is not None:
            key = item[1].correlation_id.encode()
            self._buffers[zlib.crc32(key) % len(self._buffers)].put_nowait(item)

    async def _work(self, buffer: asyncio.Queue[Item]) -> None:
        while True:
            batch = [await buffer.get()]
            while len(batch) < self.batch_size and not buffer.empty():
                batch.append(buffer.get_nowait())
            try:
                await self._handle(batch)
            except Exception:  # never let a worker die: unacked messages come back from the broker
                log.exception("batch processing crashed on %s", self.spec.name)

    async def process(self, messages: list[AbstractIncomingMessage]) -> None:
        """Handle deliveries in order; each is acked only after its outcome is durable."""
        await self._handle([item for m in messages if (item := await self._decode(m)) is not None])

    async def _handle(self, items: list[Item]) -> None:
        started = time.perf_counter()
        if len(items) > 1:
            try:
                await self._handle_together(items)
            except Exception:
                for item in items:
                    await self._handle_alone(item)
        elif items:
            await self._handle_alone(items[0])
        BATCH_SECONDS.labels(self.spec.name).observe(time.perf_counter() - started)

    async def _decode(self, message: AbstractIncomingMessage) -> Item | None:
        try:
            envelope, payload = self.decoder(message.body)
        except UndecodableMessage as exc:
            await self._dead_letter(message, f"undecodable: {exc}", "?")
            return None
        if envelope.type not in self.handlers:
            await self._dead_letter(message, f"no handler for message type {envelope.type!r}", envelope.type)
            return None
        return message, envelope, payload

    async def _handle_together(self, items: list[Item]) -> None:
        outcomes = []
        async with self.inbox.transaction() as tx:
            fresh = await tx.claim_many(self.spec.name, [envelope for _, envelope, _ in items])
            for message, envelope, payload in items:
                first = envelope.message_id in fresh
                fresh.discard(envelope.message_id)  # a second copy in the same batch is a duplicate
                if first:
                    await self._call(tx.conn, message, envelope, payload)
                outcomes.append("processed" if first else "duplicate")
        for (message, envelope, _), outcome in zip(items, outcomes, strict=True):
            await self._done(message, envelope, outcome)

    async def _handle_alone(self, item: Item) -> None:
        message, envelope, payload = item
        try:
            async with self.inbox.transaction() as tx:
                fresh = await tx.claim_many(self.spec.name, [envelope])
                if fresh:
                    await self._call(tx.conn, message, envelope, payload)
        except PermanentError as exc:
            await self._dead_letter(message, f"rejected by handler: {exc}", envelope.type)
        except RetryLater as exc:
            await self._wait_or_dead_letter(message, envelope, exc)
        except Exception as exc:
            await self._retry_or_dead_letter(message, envelope, exc)
        else:
            await self._done(message, envelope, "processed" if fresh else "duplicate")

    async def _call(self, conn: Any, message: AbstractIncomingMessage, envelope: Envelope, payload: Any) -> None:
        with (
            in_trace_of(message),
            tracer.start_as_current_span(
                f"{self.spec.name} process",
                kind=trace.SpanKind.CONSUMER,
                attributes={"messaging.message.id": str(envelope.message_id), "order.id": envelope.correlation_id},
            ),
        ):
            await self.handlers[envelope.type](conn, envelope, payload)

    async def _done(self, message: AbstractIncomingMessage, envelope: Envelope, outcome: str) -> None:
        CONSUMED.labels(self.spec.name, envelope.type, outcome).inc()
        await _ack(message)

    async def _retry_or_dead_letter(self, message: AbstractIncomingMessage, envelope: Envelope, exc: Exception) -> None:
        attempt = attempts_so_far(message) + 1
        if attempt >= self.spec.max_attempts:
            await self._dead_letter(message, f"failed after {attempt} attempts: {exc!r}", envelope.type)
            return
        delay = self.spec.retry_delay_s(attempt)
        log.warning(
            "handler failed, retrying in %.1fs", delay, extra={**_ids(envelope), "attempt": attempt, "error": repr(exc)}
        )
        self._put_back_later(
            message, envelope, delay, {ATTEMPT_HEADER: attempt, "x-last-error": repr(exc)[:500]}, "retried"
        )

    async def _wait_or_dead_letter(self, message: AbstractIncomingMessage, envelope: Envelope, exc: RetryLater) -> None:
        """A message that overtook its predecessor waits without spending its failure budget: a predecessor held
        up by a database restart may take all of its own attempts to arrive."""
        waited = waited_so_far_ms(message)
        if waited >= self.spec.wait_budget_ms:
            await self._dead_letter(message, f"still waiting after {waited / 1000:.0f} s: {exc}", envelope.type)
            return
        delay = self.spec.wait_delay_ms(waited)
        log.info(
            "waiting for a predecessor, retrying in %.1fs",
            delay / 1000,
            extra={**_ids(envelope), "waited_ms": waited, "reason": str(exc)},
        )
        self._put_back_later(message, envelope, delay / 1000, {WAITED_HEADER: waited + delay}, "waiting")

    def _put_back_later(
        self,
        message: AbstractIncomingMessage,
        envelope: Envelope,
        delay: float,
        headers: dict[str, Any],
        outcome: str,
    ) -> None:
        task = asyncio.create_task(self._retry_after(message, delay, headers))
        self._backoffs.add(task)
        task.add_done_callback(self._backoffs.discard)
        CONSUMED.labels(self.spec.name, envelope.type, outcome).inc()

    async def _retry_after(self, message: AbstractIncomingMessage, delay: float, headers: dict[str, Any]) -> None:
        """Hold the message (unacked, so a crash gives it back) for its backoff, then put a copy counting the
        attempt at the end of the work queue and ack the original."""
        await self._sleep(delay)
        await self._forward(message, self.spec.name, headers)

    async def backoffs_done(self) -> None:
        """Wait until every message in its backoff has been put back (tests, and a graceful drain)."""
        while self._backoffs:
            await asyncio.gather(*list(self._backoffs), return_exceptions=True)

    async def _dead_letter(self, message: AbstractIncomingMessage, reason: str, message_type: str) -> None:
        log.error(
            "dead-lettering message",
            extra={"queue": self.spec.name, "reason": reason, "message_id": message.message_id},
        )
        await self._forward(message, self.spec.dlq, {REASON_HEADER: reason[:1000], "x-original-queue": self.spec.name})
        CONSUMED.labels(self.spec.name, message_type, "dead_lettered").inc()

    async def _forward(self, message: AbstractIncomingMessage, queue: str, extra: dict[str, Any]) -> None:
        """Copy the message to `queue` with confirms, then ack the original (at-least-once)."""
        headers = {**headers_of(message), **extra}
        try:
            # In the message's own trace: the instrumented publish would otherwise start a new trace and put
            # its id on the copy, and a retried message would leave its order's trace.
            with in_trace_of(message):
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
            await _settle(message.nack(requeue=True))
            return
        await _ack(message)


def headers_of(message: AbstractIncomingMessage) -> dict[str, Any]:
    """The AMQP headers as a plain dict (aio-pika types them as a FieldTable)."""
    return dict(message.headers or {})


@contextlib.contextmanager
def in_trace_of(message: AbstractIncomingMessage) -> Iterator[None]:
    """Make the trace context the message carries current (a new trace if it carries none), and its producer's
    span context available to handlers through `message_span_context`."""
    carried = propagate.extract(headers_of(message))
    token = context.attach(
        context.set_value(_MESSAGE_SPAN, trace.get_current_span(carried).get_span_context(), carried)
    )
    try:
        yield
    finally:
        context.detach(token)


def message_span_context() -> SpanContext | None:
    """Inside a handler: the span context the message was published in, so a long job can link to it."""
    found = context.get_value(_MESSAGE_SPAN)
    return found if isinstance(found, SpanContext) and found.is_valid else None


def attempts_so_far(message: AbstractIncomingMessage) -> int:
    """How many times this message has failed before (our retry header; 0 on a first delivery)."""
    return int(headers_of(message).get(ATTEMPT_HEADER) or 0)


def waited_so_far_ms(message: AbstractIncomingMessage) -> int:
    """How long this message has waited for a predecessor so far (our wait header; 0 if it never waited)."""
    return int(headers_of(message).get(WAITED_HEADER) or 0)


def _ids(envelope: Envelope) -> dict[str, str]:
    return {"message_id": str(envelope.message_id), "message_type": envelope.type, "order_id": envelope.correlation_id}


async def _ack(message: AbstractIncomingMessage) -> None:
    await _settle(message.ack())


async def _settle(action: Awaitable[None]) -> None:
    # If the channel died, the broker redelivers the message and the inbox absorbs the duplicate.
    try:
        await action
    except Exception as exc:
        log.warning("ack/nack failed (the broker will redeliver): %r", exc)
