"""From `order.placed` to `order.priced`: one pricing job per line, results gathered until every line is settled.

The MES never computes a price: it only dispatches jobs to the pricing worker pool and aggregates results.
"""

from __future__ import annotations

import logging
import uuid
from decimal import Decimal

from prometheus_client import Counter
from pydantic import BaseModel

from system.kernel.messaging.catalogue import (
    LineQuote,
    OrderPlaced,
    OrderPriced,
    OrderPricingFailed,
    PricedBuild,
    PricingCompleted,
    PricingFailed,
    PricingProgress,
    PricingRequested,
)
from system.kernel.messaging.envelope import Envelope
from system.mes.domain import MesOrder, OrderStage, PricingJob, PricingState, quote
from system.mes.ports import UnitOfWork

log = logging.getLogger(__name__)
SOURCE = "mes"
RESULTS = Counter("mes_pricing_results_total", "Pricing results received, by outcome", ["outcome"])


async def order_placed(tx: UnitOfWork, envelope: Envelope, payload: OrderPlaced) -> None:
    """Create one pricing job per line and send each to the worker pool."""
    if await tx.orders.get(payload.order_id) is not None:
        return  # the same order announced twice under different message ids
    order = MesOrder(
        id=payload.order_id,
        customer_id=payload.customer_id,
        customer_kind=payload.customer_kind,
        contract_discount_pct=payload.contract_discount_pct,
        lines=[line.model_dump(mode="json") for line in payload.lines],
    )
    jobs = [PricingJob(id=uuid.uuid4(), order_id=order.id, line_id=line.line_id) for line in payload.lines]
    await tx.orders.add(order)
    await tx.pricing.add(*jobs)
    await tx.publish(
        *(
            _wrap(
                PricingRequested(
                    job_id=job.id,
                    order_id=order.id,
                    line=line,
                    customer_kind=order.customer_kind,
                    contract_discount_pct=order.contract_discount_pct,
                    customer_id=order.customer_id,
                ),
                "pricing.requested",
                envelope,
            )
            for job, line in zip(jobs, payload.lines, strict=True)
        )
    )
    log.info("pricing jobs dispatched", extra={"order_id": str(order.id), "jobs": len(jobs)})


async def pricing_completed(tx: UnitOfWork, envelope: Envelope, payload: PricingCompleted) -> None:
    job = await _pending_job(tx, payload.order_id, payload.job_id)
    if job is not None:
        job.state, job.percent = PricingState.COMPLETED, 100.0
        job.unit_price, job.total_price, job.warnings = payload.unit_price, payload.total_price, list(payload.warnings)
        job.breakdown = {name: str(amount) for name, amount in payload.breakdown.items()}
        job.build = payload.build.model_dump(mode="json") if payload.build else None
        await _settle(tx, job, envelope, "completed")


async def pricing_failed(tx: UnitOfWork, envelope: Envelope, payload: PricingFailed) -> None:
    job = await _pending_job(tx, payload.order_id, payload.job_id)
    if job is not None:
        job.state, job.reason = PricingState.FAILED, payload.reason
        await _settle(tx, job, envelope, "failed")


async def pricing_progress(tx: UnitOfWork, envelope: Envelope, payload: PricingProgress) -> None:
    job = await _pending_job(tx, payload.order_id, payload.job_id)
    if job is not None and payload.percent > job.percent:
        job.percent, job.stage = payload.percent, payload.stage
        await tx.pricing.save(job)


async def _pending_job(tx: UnitOfWork, order_id: uuid.UUID, job_id: uuid.UUID) -> PricingJob | None:
    """The job if it still waits for a result; the order row is locked first so results aggregate one at a time."""
    order = await tx.orders.get(order_id, for_update=True)
    job = await tx.pricing.get(job_id, for_update=True)
    if order is None or job is None or job.order_id != order_id:
        log.warning(
            "result for an unknown pricing job ignored", extra={"order_id": str(order_id), "job_id": str(job_id)}
        )
        return None
    if job.settled or order.stage is not OrderStage.PRICING:
        return None  # a repeated result, or the order was cancelled meanwhile
    return job


async def _settle(tx: UnitOfWork, job: PricingJob, envelope: Envelope, outcome: str) -> None:
    await tx.pricing.save(job)
    RESULTS.labels(outcome).inc()
    jobs = await tx.pricing.for_order(job.order_id)
    outcome_of_order = quote(jobs)
    if outcome_of_order is None:
        return
    order = await tx.orders.get(job.order_id)
    assert order is not None
    total, reasons = outcome_of_order
    if reasons:
        order.stage = OrderStage.PRICING_FAILED
        await tx.publish(
            _wrap(OrderPricingFailed(order_id=order.id, reasons=reasons), "order.pricing_failed", envelope)
        )
    else:
        order.stage = OrderStage.PRICED
        lines = [
            LineQuote(
                line_id=j.line_id,
                unit_price=_d(j.unit_price),
                total_price=_d(j.total_price),
                warnings=j.warnings,
                breakdown={name: Decimal(amount) for name, amount in j.breakdown.items()},
                build=PricedBuild.model_validate(j.build) if j.build else None,
            )
            for j in jobs
        ]
        await tx.publish(
            _wrap(OrderPriced(order_id=order.id, total_price=total, lines=lines), "order.priced", envelope)
        )
    await tx.orders.save(order)
    log.info("order %s", order.stage.value, extra={"order_id": str(order.id)})


def _d(value: Decimal | None) -> Decimal:
    return value if value is not None else Decimal(0)


def _wrap(payload: BaseModel, type_: str, cause: Envelope) -> Envelope:
    """An event caused by `cause`: same correlation (order) id, causation = the message that caused it."""
    return Envelope.wrap(
        payload, type=type_, producer=SOURCE, correlation_id=cause.correlation_id, causation_id=cause.message_id
    )
