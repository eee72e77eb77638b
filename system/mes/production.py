"""Production: a job per confirmed order and the operator's actions on it (cancellations: cancellation.py)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from prometheus_client import Counter

from system.kernel.auth import Principal
from system.kernel.messaging.catalogue import OrderConfirmed, ProductionEvent
from system.kernel.messaging.consumer import PermanentError, RetryLater
from system.kernel.messaging.envelope import Envelope
from system.mes.domain import JobState, MesOrder, OrderStage, PricingJob, ProductionJob
from system.mes.ports import UnitOfWork, UowFactory

log = logging.getLogger(__name__)
SOURCE = "mes"
ACTIONS_DONE = Counter("mes_operator_actions_total", "Operator actions on production jobs", ["action"])


class NotFound(LookupError):
    """No such production job."""


class Forbidden(PermissionError):
    """Only operators work on production jobs."""


async def order_confirmed(tx: UnitOfWork, envelope: Envelope, payload: OrderConfirmed) -> None:
    """The customer accepted the quote: queue one production job for the order."""
    order = await tx.orders.get(payload.order_id, for_update=True)
    if order is None:  # its order.placed may still be on its way back from a retry queue
        raise RetryLater(f"order {payload.order_id} was confirmed before MES heard it was placed")
    if order.stage is OrderStage.CONFIRMED:
        return  # already queued
    if order.stage is OrderStage.CANCELLED:  # a cancellation request overtook this and was accepted
        log.info("confirmation of a cancelled order ignored", extra={"order_id": str(order.id)})
        return
    if order.stage is not OrderStage.PRICED:
        raise PermanentError(f"order {order.id} is {order.stage.value} in MES; it cannot be confirmed")
    order.stage = OrderStage.CONFIRMED
    await tx.orders.save(order)
    await tx.production.add(ProductionJob(id=uuid.uuid4(), order_id=order.id, lines=order.lines))
    log.info("production job queued", extra={"order_id": str(order.id)})


async def act(principal: Principal, job_id: uuid.UUID, action: str, *, uow: UowFactory) -> ProductionJob:
    """An operator advances a production job; the CRM hears about it through the outbox."""
    _operator(principal)
    async with uow() as tx:
        job = await tx.production.get(job_id, for_update=True)
        if job is None:
            raise NotFound(f"no production job {job_id}")
        event = job.act(action)  # InvalidAction if the state does not allow it
        await tx.production.save(job)
        if event is not None:
            note = f"attempt {job.attempts}" if action in ("start", "qc-fail") else ""
            payload = ProductionEvent(order_id=job.order_id, job_id=job.id, note=note, sequence=job.sequence(event))
            await tx.publish(Envelope.wrap(payload, type=event, producer=SOURCE, correlation_id=str(job.order_id)))
    ACTIONS_DONE.labels(action).inc()
    log.info("production job %s", action, extra={"order_id": str(job.order_id), "job_id": str(job.id)})
    return job


async def jobs(principal: Principal, state: JobState | None, *, uow: UowFactory) -> list[ProductionJob]:
    _operator(principal)
    async with uow() as tx:
        return await tx.production.in_state(state.value if state else None)


async def job(principal: Principal, job_id: uuid.UUID, *, uow: UowFactory) -> ProductionJob:
    _operator(principal)
    async with uow() as tx:
        found = await tx.production.get(job_id)
    if found is None:
        raise NotFound(f"no production job {job_id}")
    return found


def _operator(principal: Principal) -> None:
    if not principal.is_operator:
        raise Forbidden("only operators work on production jobs")


async def order_view(principal: Principal, order_id: uuid.UUID, *, uow: UowFactory) -> OrderView:
    """MES's view of one order (its stage, production and pricing jobs), for operators and the agreement check."""
    _operator(principal)
    async with uow() as tx:
        order = await tx.orders.get(order_id)
        jobs = await tx.production.for_order(order_id)
        pricing = await tx.pricing.for_order(order_id)
    if order is None:
        raise NotFound(f"MES has no order {order_id}")
    return OrderView(order, jobs, len(pricing))


async def pricing_of(principal: Principal, order_id: uuid.UUID, *, uow: UowFactory) -> list[PricingJob]:
    """The pricing jobs of an order, for its customer (a long quote's progress) and operators. Another customer's
    order is simply not found."""
    async with uow() as tx:
        order = await tx.orders.get(order_id)
        jobs = await tx.pricing.for_order(order_id) if order else []
    if order is None or not (principal.is_operator or order.customer_id == principal.account_id):
        raise NotFound(f"MES has no order {order_id}")
    return jobs


@dataclass(frozen=True)
class OrderView:
    """An order as MES holds it: more than one production job, or more pricing jobs than lines, is a duplicate."""

    order: MesOrder
    production_jobs: list[ProductionJob]
    pricing_jobs: int

    @property
    def job(self) -> ProductionJob | None:
        return self.production_jobs[-1] if self.production_jobs else None
