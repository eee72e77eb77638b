"""Cancellations as MES decides them: before confirmation MES only stops pricing; a confirmed order's cancellation
is a request that MES accepts while its production job is still queued and refuses once production has started.

The decision is taken under the production job's row lock, the same lock an operator's `start` takes, so a
cancellation and a production start of one order are serialised: exactly one of them wins, and the CRM follows
MES's answer (system/agreement.py states the invariant).
"""

from __future__ import annotations

import logging

from prometheus_client import Counter

from system.kernel.messaging.catalogue import (
    CancellationAccepted,
    CancellationRefused,
    CancellationRequested,
    OrderCancelled,
)
from system.kernel.messaging.consumer import PermanentError, RetryLater
from system.kernel.messaging.envelope import Envelope
from system.mes.domain import JobState, MesOrder, OrderStage, PricingState, ProductionJob
from system.mes.ports import UnitOfWork

log = logging.getLogger(__name__)
SOURCE = "mes"
ANSWERS = Counter("mes_cancellation_requests_total", "Cancellation requests answered, by outcome", ["outcome"])


async def order_cancelled(tx: UnitOfWork, envelope: Envelope, payload: OrderCancelled) -> None:
    """The CRM cancelled an unconfirmed order: stop its pending pricing jobs.

    A job can only exist here if a CRM of an earlier release cancelled a confirmed order on its own: a queued
    job is still stopped; a started one is the disagreement this saga prevents, dead-lettered with the reason.
    """
    order = await tx.orders.get(payload.order_id, for_update=True)
    if order is None or order.stage is OrderStage.CANCELLED:
        return  # cancelled before MES heard of it (nothing to stop), or a repeat
    jobs = await tx.production.for_order(order.id, for_update=True)
    if started := [job for job in jobs if job.state is not JobState.QUEUED]:
        raise PermanentError(f"order {order.id} cancelled after production started ({started[0].state.value})")
    await _stop(tx, order, jobs)


async def cancellation_requested(tx: UnitOfWork, envelope: Envelope, payload: CancellationRequested) -> None:
    """Accept if production has not started (the job is cancelled), refuse otherwise; tell the CRM either way."""
    order = await tx.orders.get(payload.order_id, for_update=True)
    if order is None:  # its order.placed may still be on its way back from a retry queue
        raise RetryLater(f"cancellation of order {payload.order_id} requested before MES heard it was placed")
    jobs = await tx.production.for_order(order.id, for_update=True)
    started = [job for job in jobs if job.state not in (JobState.QUEUED, JobState.CANCELLED)]
    if started:
        job_state = started[0].state.value
        reason = f"production has already started (the job is {job_state})"
        answer: CancellationAccepted | CancellationRefused = CancellationRefused(
            order_id=order.id, reason=reason, job_state=job_state
        )
    else:
        if order.stage is not OrderStage.CANCELLED:
            await _stop(tx, order, jobs)
        answer = CancellationAccepted(order_id=order.id, reason=payload.reason)
    outcome = "refused" if isinstance(answer, CancellationRefused) else "accepted"
    await tx.publish(
        Envelope.wrap(
            answer,
            type=f"order.cancellation_{outcome}",
            producer=SOURCE,
            correlation_id=envelope.correlation_id,
            causation_id=envelope.message_id,
        )
    )
    ANSWERS.labels(outcome).inc()
    log.info("cancellation %s", outcome, extra={"order_id": str(order.id), "message_id": str(envelope.message_id)})


async def _stop(tx: UnitOfWork, order: MesOrder, production_jobs: list[ProductionJob]) -> None:
    """Cancel the order, its pending pricing jobs and its (queued) production jobs."""
    order.stage = OrderStage.CANCELLED
    await tx.orders.save(order)
    for job in await tx.pricing.for_order(order.id, for_update=True):
        if job.state is PricingState.PENDING:
            job.state = PricingState.CANCELLED
            await tx.pricing.save(job)
    for production_job in production_jobs:
        production_job.state = JobState.CANCELLED
        await tx.production.save(production_job)
    log.info("order cancelled in MES", extra={"order_id": str(order.id)})
