"""MES reading CRM and pricing messages: its real use cases over the in-memory MES of the unit tests."""

from __future__ import annotations

import uuid
from decimal import Decimal

from contracts.messages.consumers.reading import Reader, dispatcher, in_transaction, read
from system.kernel.messaging.catalogue import (
    CancellationAccepted,
    CancellationRequested,
    OrderCancelled,
    OrderConfirmed,
    OrderPlaced,
    OrderPriced,
    OrderPricingFailed,
    PricingCompleted,
    PricingFailed,
    PricingProgress,
    PricingRequested,
)
from system.kernel.messaging.envelope import Envelope
from system.mes import cancellation, pricing_flow, production
from system.mes.domain import JobState, MesOrder, OrderStage, PricingJob, PricingState, ProductionJob
from tests.unit.mes.fakes import FakeMes, uow_factory


def _mes_with(order_id: uuid.UUID, stage: OrderStage, job: PricingJob | None = None) -> FakeMes:
    """A MES that knows the order (at `stage`) and, if given, one of its pricing jobs."""
    db = FakeMes()
    db.orders.rows[order_id] = MesOrder(order_id, "b2c", Decimal(0), [], stage=stage)
    if job is not None:
        db.pricing.rows[job.id] = job
    return db


async def order_placed(envelope: Envelope, payload: OrderPlaced) -> None:
    db = FakeMes()
    await in_transaction(uow_factory(db), pricing_flow.order_placed, envelope, payload)
    requests = [read(e, PricingRequested) for e in db.of_type("pricing.requested")]
    assert [r.line for r in requests] == list(payload.lines), "one pricing request per line, the line as ordered"
    assert all(
        (r.customer_id, r.customer_kind, r.contract_discount_pct)
        == (payload.customer_id, payload.customer_kind, payload.contract_discount_pct)
        for r in requests
    ), "the pricing rules' inputs travel with each request"


async def order_confirmed(envelope: Envelope, payload: OrderConfirmed) -> None:
    db = _mes_with(payload.order_id, OrderStage.PRICED)
    await in_transaction(uow_factory(db), production.order_confirmed, envelope, payload)
    assert [j.order_id for j in db.production.rows.values()] == [payload.order_id], "one production job queued"


async def order_cancelled(envelope: Envelope, payload: OrderCancelled) -> None:
    job = PricingJob(uuid.uuid4(), payload.order_id, uuid.uuid4())
    db = _mes_with(payload.order_id, OrderStage.PRICING, job)
    await in_transaction(uow_factory(db), cancellation.order_cancelled, envelope, payload)
    assert db.orders.rows[payload.order_id].stage is OrderStage.CANCELLED
    assert db.pricing.rows[job.id].state is PricingState.CANCELLED, "pending pricing stopped"


async def cancellation_requested(envelope: Envelope, payload: CancellationRequested) -> None:
    db = _mes_with(payload.order_id, OrderStage.CONFIRMED)
    queued = ProductionJob(uuid.uuid4(), payload.order_id, [])
    db.production.rows[queued.id] = queued
    await in_transaction(uow_factory(db), cancellation.cancellation_requested, envelope, payload)
    answer = read(db.of_type("order.cancellation_accepted")[0], CancellationAccepted)
    assert (answer.order_id, answer.reason) == (payload.order_id, payload.reason), "accepted with the reason"
    assert db.production.rows[queued.id].state is JobState.CANCELLED


def _pending(payload: PricingCompleted | PricingFailed | PricingProgress) -> tuple[FakeMes, PricingJob]:
    job = PricingJob(payload.job_id, payload.order_id, getattr(payload, "line_id", uuid.uuid4()))
    return _mes_with(payload.order_id, OrderStage.PRICING, job), job


async def pricing_completed(envelope: Envelope, payload: PricingCompleted) -> None:
    db, _ = _pending(payload)
    await in_transaction(uow_factory(db), pricing_flow.pricing_completed, envelope, payload)
    priced = read(db.of_type("order.priced")[0], OrderPriced)
    assert priced.total_price == payload.total_price, "the only line's total is the order's"
    assert [(q.unit_price, q.warnings) for q in priced.lines] == [(payload.unit_price, payload.warnings)]


async def pricing_failed(envelope: Envelope, payload: PricingFailed) -> None:
    db, _ = _pending(payload)
    await in_transaction(uow_factory(db), pricing_flow.pricing_failed, envelope, payload)
    failed = read(db.of_type("order.pricing_failed")[0], OrderPricingFailed)
    assert failed.reasons == [payload.reason], "the customer sees the worker's reason"


async def pricing_progress(envelope: Envelope, payload: PricingProgress) -> None:
    db, job = _pending(payload)
    await in_transaction(uow_factory(db), pricing_flow.pricing_progress, envelope, payload)
    assert db.pricing.rows[job.id].percent == payload.percent, "progress recorded"


READERS: dict[str, Reader] = {
    "order.placed": order_placed,
    "order.confirmed": order_confirmed,
    "order.cancelled": order_cancelled,
    "order.cancellation_requested": cancellation_requested,
    "pricing.completed": pricing_completed,
    "pricing.failed": pricing_failed,
    "pricing.progress": pricing_progress,
}

consume = dispatcher(READERS)
