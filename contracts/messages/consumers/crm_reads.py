"""The CRM reading MES messages: its real tracking use cases over the in-memory CRM of the unit tests."""

from __future__ import annotations

import uuid

from contracts.messages.consumers.reading import Reader, dispatcher, in_transaction
from system.crm import tracking
from system.crm.domain import Cancellation, CancellationStatus, Order, OrderLine, State
from system.kernel.messaging.catalogue import (
    CancellationAccepted,
    CancellationRefused,
    Material,
    OrderPriced,
    OrderPricingFailed,
    Process,
    ProductionEvent,
)
from system.kernel.messaging.envelope import Envelope
from tests.unit.crm.fakes import FakeCrm, uow_factory

# The state an order is in when each production event is due (the event moves it on).
BEFORE = {
    "production.started": State.CONFIRMED,
    "production.completed": State.IN_PRODUCTION,
    "production.qc_failed": State.QUALITY_CHECK,
    "production.shipped": State.QUALITY_CHECK,
}


def _line(line_id: uuid.UUID) -> OrderLine:
    return OrderLine(line_id, uuid.uuid4(), "part.stl", "0" * 64, Material.PLA, Process.FDM, 1, 7)


def _crm_with(order_id: uuid.UUID, state: State, lines: list[uuid.UUID] | None = None) -> FakeCrm:
    """A CRM holding the order in `state`; a cancellation is pending in CANCELLATION_REQUESTED."""
    db = FakeCrm()
    asked = Cancellation(CancellationStatus.REQUESTED, "asked") if state is State.CANCELLATION_REQUESTED else None
    order = Order(order_id, uuid.uuid4(), [_line(i) for i in lines or []], state=state, cancellation=asked)
    db.orders.rows[order_id] = order
    return db


async def order_priced(envelope: Envelope, payload: OrderPriced) -> None:
    db = _crm_with(payload.order_id, State.PRICING, [q.line_id for q in payload.lines])
    await in_transaction(uow_factory(db), tracking.order_priced, envelope, payload)
    order = db.orders.rows[payload.order_id]
    assert (order.state, order.total_price) == (State.QUOTED, payload.total_price), "quoted at MES's total"
    shown = [(line.unit_price, line.total_price, line.warnings) for line in order.lines]
    assert shown == [(q.unit_price, q.total_price, q.warnings) for q in payload.lines], "each line's quote shown"


async def order_pricing_failed(envelope: Envelope, payload: OrderPricingFailed) -> None:
    db = _crm_with(payload.order_id, State.PRICING)
    await in_transaction(uow_factory(db), tracking.order_pricing_failed, envelope, payload)
    order = db.orders.rows[payload.order_id]
    assert (order.state, order.failure_reasons) == (State.PRICING_FAILED, payload.reasons), "the customer sees why"


async def cancellation_accepted(envelope: Envelope, payload: CancellationAccepted) -> None:
    db = _crm_with(payload.order_id, State.CANCELLATION_REQUESTED)
    await in_transaction(uow_factory(db), tracking.cancellation_accepted, envelope, payload)
    order = db.orders.rows[payload.order_id]
    assert order.state is State.CANCELLED and order.cancellation is not None
    assert order.cancellation.reason == payload.reason


async def cancellation_refused(envelope: Envelope, payload: CancellationRefused) -> None:
    db = _crm_with(payload.order_id, State.CANCELLATION_REQUESTED)
    await in_transaction(uow_factory(db), tracking.cancellation_refused, envelope, payload)
    order = db.orders.rows[payload.order_id]
    assert order.state is State.CONFIRMED and order.cancellation is not None, "the order goes on"
    assert order.cancellation == Cancellation(CancellationStatus.REFUSED, payload.reason)


async def production_event(envelope: Envelope, payload: ProductionEvent) -> None:
    db = _crm_with(payload.order_id, BEFORE[envelope.type])
    await in_transaction(uow_factory(db), tracking.production_event, envelope, payload)
    assert db.orders.rows[payload.order_id].state is tracking.PRODUCTION_STATES[envelope.type]
    entry = (await db.orders.timeline(payload.order_id))[-1]
    assert (entry.message_id, entry.note) == (envelope.message_id, payload.note or envelope.type), "on the timeline"


READERS: dict[str, Reader] = {
    "order.priced": order_priced,
    "order.pricing_failed": order_pricing_failed,
    "order.cancellation_accepted": cancellation_accepted,
    "order.cancellation_refused": cancellation_refused,
    **dict.fromkeys(BEFORE, production_event),
}

consume = dispatcher(READERS)
