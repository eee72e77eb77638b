"""Applying MES events to orders: quotes, pricing failures, answers to cancellations, production progress."""

from __future__ import annotations

import logging
import uuid

from prometheus_client import Counter

from system.crm.domain import Cancellation, CancellationStatus, Order, State
from system.crm.ports import UnitOfWork
from system.crm.service import TRANSITIONS
from system.kernel.messaging.catalogue import (
    CancellationAccepted,
    CancellationRefused,
    OrderPriced,
    OrderPricingFailed,
    ProductionEvent,
)
from system.kernel.messaging.consumer import PermanentError, RetryLater
from system.kernel.messaging.envelope import Envelope
from system.kernel.telemetry import current_trace_id

log = logging.getLogger(__name__)
IGNORED = Counter(
    "crm_events_ignored_total", "MES events that no longer apply (e.g. the order was cancelled)", ["type"]
)
SOURCE = "mes"

PRODUCTION_STATES = {
    "production.started": State.IN_PRODUCTION,
    "production.completed": State.QUALITY_CHECK,
    "production.qc_failed": State.QC_FAILED,
    "production.shipped": State.SHIPPED,
}


CANCELLATIONS = Counter("crm_cancellation_answers_total", "MES's answers to cancellation requests", ["outcome"])


async def order_priced(tx: UnitOfWork, envelope: Envelope, payload: OrderPriced) -> None:
    """MES priced every line: the order is quoted."""
    order = await _order(tx, payload.order_id)
    if not await _applies(order, State.QUOTED, envelope):
        return
    order.quote({q.line_id: (q.unit_price, q.total_price) for q in payload.lines}, payload.total_price)
    for quote in payload.lines:
        line = next(line for line in order.lines if line.id == quote.line_id)
        line.warnings, line.breakdown, line.build = list(quote.warnings), dict(quote.breakdown), quote.build
    await _move(tx, order, State.QUOTED, envelope, f"quoted {payload.total_price} {payload.currency}")


async def order_pricing_failed(tx: UnitOfWork, envelope: Envelope, payload: OrderPricingFailed) -> None:
    """No price could be computed: the customer sees why."""
    order = await _order(tx, payload.order_id)
    if not await _applies(order, State.PRICING_FAILED, envelope):
        return
    order.failure_reasons = list(payload.reasons)
    await _move(tx, order, State.PRICING_FAILED, envelope, "; ".join(payload.reasons)[:500])


async def production_event(tx: UnitOfWork, envelope: Envelope, payload: ProductionEvent) -> None:
    """Production started, finished printing, failed QC (reprint) or shipped.

    A start that finds the order waiting for MES's answer to a cancellation is that answer: MES refuses a
    cancellation once production has started, and its refusal follows.
    """
    target = PRODUCTION_STATES[envelope.type]
    order = await _order(tx, payload.order_id)
    if order.state is State.CANCELLED:  # MES never works on an order it accepted to cancel: a real disagreement
        raise PermanentError(f"{envelope.type} for order {order.id}, which the CRM has cancelled")
    if payload.sequence is not None and not _in_turn(order, payload.sequence, envelope):
        return
    if await _applies(order, target, envelope):
        order.production_seq = payload.sequence or order.production_seq
        await _move(tx, order, target, envelope, payload.note or envelope.type)


def _in_turn(order: Order, sequence: int, envelope: Envelope) -> bool:
    """True for the production event that follows the last one applied; False for one already superseded (two
    replicas, or a retry, delivered it after a later one); RetryLater for one that overtook its predecessor.
    Without sequence numbers, a reprint's second start could stand in for the first, and the first round's
    events then arrived to an order that had moved on."""
    if sequence <= order.production_seq:
        IGNORED.labels(envelope.type).inc()
        log.info(
            "superseded production event ignored",
            extra={"order_id": str(order.id), "message_id": str(envelope.message_id), "sequence": sequence},
        )
        return False
    if sequence > order.production_seq + 1:
        raise RetryLater(f"{envelope.type} #{sequence} for order {order.id} waits for #{order.production_seq + 1}")
    return True


async def cancellation_accepted(tx: UnitOfWork, envelope: Envelope, payload: CancellationAccepted) -> None:
    """MES stopped the order before production: it is cancelled."""
    order = await _order(tx, payload.order_id)
    if order.state is State.CANCELLED:
        return  # the same answer again
    if order.state is not State.CANCELLATION_REQUESTED:
        raise PermanentError(f"MES accepted a cancellation of order {order.id}, which is {order.state.value}")
    order.cancellation = Cancellation(CancellationStatus.ACCEPTED, payload.reason)
    CANCELLATIONS.labels("accepted").inc()
    await _move(tx, order, State.CANCELLED, envelope, f"cancelled: {payload.reason}")


async def cancellation_refused(tx: UnitOfWork, envelope: Envelope, payload: CancellationRefused) -> None:
    """MES could not cancel (production had started): the order goes on, and the customer sees why."""
    order = await _order(tx, payload.order_id)
    if order.cancellation is None or order.cancellation.status is not CancellationStatus.REQUESTED:
        return  # the same answer again
    if order.state is State.CANCELLED:
        raise PermanentError(f"MES refused to cancel order {order.id}, which the CRM has cancelled")
    order.cancellation = Cancellation(CancellationStatus.REFUSED, payload.reason)
    CANCELLATIONS.labels("refused").inc()
    note = f"cancellation refused: {payload.reason}"
    if order.state is State.CANCELLATION_REQUESTED:
        await _move(tx, order, State.CONFIRMED, envelope, note)
        return
    # production.started arrived first and already moved the order on: record the answer only
    order.note(note, source=SOURCE, message_id=envelope.message_id, trace_id=current_trace_id())
    await tx.orders.save(order)


async def _order(tx: UnitOfWork, order_id: uuid.UUID) -> Order:
    order = await tx.orders.get(order_id, for_update=True)
    if order is None:  # MES only knows orders the CRM announced: this is a real inconsistency
        raise PermanentError(f"no order {order_id} in the CRM")
    return order


async def _applies(order: Order, target: State, envelope: Envelope) -> bool:
    """False for an event that no longer applies; RetryLater for one that arrived before the one it follows.

    An event that overtook its predecessor (a retry, another replica) applies once that one has; one that can
    never apply ends in the DLQ with this reason after the consumer's last attempt.
    """
    if order.state is State.CANCELLED:  # a price for an order cancelled while it was priced: not a defect
        IGNORED.labels(envelope.type).inc()
        log.info("event for a cancelled order ignored", extra={"order_id": str(order.id), "type": envelope.type})
        return False
    if not order.can_become(target):
        raise RetryLater(f"{envelope.type}: order {order.id} is {order.state.value}, cannot become {target.value} yet")
    return True


async def _move(tx: UnitOfWork, order: Order, target: State, envelope: Envelope, note: str) -> None:
    order.transition(target, source=SOURCE, message_id=envelope.message_id, trace_id=current_trace_id(), note=note)
    await tx.orders.save(order)
    TRANSITIONS.labels(target.value, SOURCE).inc()
    log.info("order %s", target.value, extra={"order_id": str(order.id), "message_id": str(envelope.message_id)})
