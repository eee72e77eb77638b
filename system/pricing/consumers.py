"""Message handlers of the pricing workers: price the requested line, publish the outcome with confirms.

The outcome is published before the handler returns, and the kernel Consumer acks the request only
after that, so a worker lost mid-job means a redelivery, never a lost result. A redelivered job is
priced again to the same result (the cost model is deterministic) and published under the same
message id, derived from the job id, so MES's inbox drops the copy.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from opentelemetry import propagate, trace
from prometheus_client import Counter, Histogram

from system.kernel.messaging.catalogue import (
    PricingCompleted,
    PricingFailed,
    PricingProgress,
    PricingRequested,
    route,
)
from system.kernel.messaging.consumer import Handler, message_span_context
from system.kernel.messaging.envelope import Envelope
from system.kernel.messaging.publisher import MessagePublisher
from system.pricing.ports import Progress
from system.pricing.running import RunningJobs
from system.pricing.service import Outcome

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

PRODUCER = "pricing"
# error: raised, so the kernel retries or dead-letters; skipped: the order was cancelled before the job started
OUTCOMES = ("completed", "failed", "error", "skipped")
JOBS = Counter("pricing_jobs_total", "Pricing jobs by outcome", ["outcome"])
JOB_SECONDS = Histogram(
    "pricing_job_seconds",
    "Duration of a pricing job, fetch and geometry included",
    ["outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800),
)
for _outcome in OUTCOMES:
    JOBS.labels(_outcome)

CANCELLED = "The order was cancelled while this line was being priced, so its pricing was stopped."
PriceLine = Callable[[PricingRequested, Progress], Awaitable[Outcome]]
PricingEvent = PricingCompleted | PricingFailed | PricingProgress


def handlers(publisher: MessagePublisher, price: PriceLine, jobs: RunningJobs) -> dict[str, Handler]:
    """The kernel Consumer's handler table for the pricing work queue (`jobs`: what this worker runs)."""

    async def on_requested(_conn: Any, envelope: Envelope, request: PricingRequested) -> None:
        await on_pricing_requested(envelope, request, publisher=publisher, price=price, jobs=jobs)

    return {"pricing.requested": on_requested}


async def on_pricing_requested(
    envelope: Envelope,
    request: PricingRequested,
    *,
    publisher: MessagePublisher,
    price: PriceLine,
    jobs: RunningJobs,
) -> None:
    """Price one line and publish pricing.completed or pricing.failed; raise on a transient failure."""
    ids = {"job_id": str(request.job_id), "order_id": str(request.order_id), "line_id": str(request.line.line_id)}
    attributes = {
        "pricing.job.id": ids["job_id"],
        "order.id": ids["order_id"],
        "pricing.material": request.line.material.value,
        "pricing.process": request.line.process.value,
        "pricing.quantity": request.line.quantity,
        "file.sha256": request.line.sha256,
    }
    started = time.perf_counter()
    # A long job started from a queued message: it stays in the order's trace (under the consumer's span) and
    # links to the message it came from, as OTel's messaging conventions ask.
    links = [trace.Link(origin)] if (origin := message_span_context()) else []
    with tracer.start_as_current_span("pricing.job", attributes=attributes, links=links) as span:
        if jobs.cancelled(request.order_id):  # MES stopped the order's jobs itself: there is nothing to answer
            span.set_attribute("pricing.outcome", "skipped")
            _observe("skipped", started)
            log.info("job skipped: its order was cancelled", extra=ids)
            return
        try:
            outcome = await _run(request, price, _progress_of(publisher, request, envelope, ids), jobs)
            kind = "completed" if isinstance(outcome, PricingCompleted) else "failed"
            await publish(publisher, outcome, f"pricing.{kind}", envelope)
        except Exception:  # the span records it; the kernel decides between retry and DLQ
            _observe("error", started)
            raise
        span.set_attribute("pricing.outcome", kind)
        _observe(kind, started)
        if isinstance(outcome, PricingCompleted):  # inside the span: the log line carries the trace id
            log.info("line priced", extra={**ids, "total": str(outcome.total_price), "warnings": outcome.warnings})
        else:
            log.info("line not priceable", extra={**ids, "reason": outcome.reason})


async def _run(request: PricingRequested, price: PriceLine, progress: Progress, jobs: RunningJobs) -> Outcome:
    """The job's outcome; a job whose order is cancelled while it runs stops with that reason."""
    task: asyncio.Future[Outcome] = asyncio.ensure_future(price(request, progress))
    with jobs.running(request.order_id, task):
        try:
            return await task
        except asyncio.CancelledError:
            if not jobs.cancelled(request.order_id):
                raise  # the worker itself is stopping: the job stays unacked and goes to another worker
    return PricingFailed(job_id=request.job_id, order_id=request.order_id, line_id=request.line.line_id,
                         reason=CANCELLED)  # fmt: skip


def _progress_of(
    publisher: MessagePublisher, request: PricingRequested, cause: Envelope, ids: dict[str, str]
) -> Progress:
    """Publish the job's progress (best effort: a progress event that is not confirmed is only logged)."""

    async def progress(percent: float, stage: str) -> None:
        update = PricingProgress(job_id=request.job_id, order_id=request.order_id, percent=round(percent, 1),
                                 stage=stage[:200])  # fmt: skip
        try:
            await publish(publisher, update, "pricing.progress", cause, key=f"{update.percent:g}")
        except Exception as exc:  # progress is advisory: never fail or retry a job because of it
            log.warning("progress not published", extra={**ids, "error": repr(exc)})

    return progress


async def publish(
    publisher: MessagePublisher, payload: PricingEvent, message_type: str, cause: Envelope, *, key: str = ""
) -> Envelope:
    """Publish a pricing event (confirmed) in an envelope caused by the request `cause`."""
    envelope = Envelope.wrap(
        payload,
        type=message_type,
        producer=PRODUCER,
        correlation_id=str(payload.order_id),
        causation_id=cause.message_id,
    ).model_copy(update={"message_id": event_id(payload.job_id, message_type, key)})
    headers: dict[str, Any] = {}
    propagate.inject(headers)  # traceparent: the MES side of the trace hangs off this job's span
    await publisher.publish(
        route(message_type).exchange,
        message_type,
        envelope.to_bytes(),
        message_id=str(envelope.message_id),
        message_type=message_type,
        headers=headers,
    )
    return envelope


def event_id(job_id: uuid.UUID, message_type: str, key: str = "") -> uuid.UUID:
    """The message id of a job's event: the same on every redelivery, so consumers' inboxes de-duplicate it."""
    return uuid.uuid5(job_id, f"{message_type}:{key}")


def _observe(outcome: str, started: float) -> None:
    JOBS.labels(outcome).inc()
    JOB_SECONDS.labels(outcome).observe(time.perf_counter() - started)
