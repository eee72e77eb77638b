"""The CRM's half of the cancellation saga: a confirmed order's cancellation waits for MES's answer and follows it."""

from __future__ import annotations

import uuid

import pytest

from system.crm import service, tracking
from system.crm.domain import CancellationStatus, InvalidTransition, State
from system.kernel.messaging.catalogue import CancellationAccepted, CancellationRefused, ProductionEvent
from system.kernel.messaging.consumer import PermanentError, RetryLater
from tests.unit.crm.fakes import FakeCrm, FakeFiles, crm_with, uow_factory
from tests.unit.crm.test_service import B2B, OTHER, me, mes_says, place, quote_for


@pytest.fixture
def db() -> FakeCrm:
    return crm_with(B2B, OTHER)


async def confirmed(db: FakeCrm) -> uuid.UUID:
    order = await place(db, FakeFiles())
    await mes_says(db, tracking.order_priced, quote_for(order), "order.priced")
    await service.confirm(me(B2B), order.id, uow=uow_factory(db))
    return order.id


async def requested(db: FakeCrm) -> uuid.UUID:
    order_id = await confirmed(db)
    order = await service.cancel(me(B2B), order_id, "found a cheaper offer", uow=uow_factory(db))
    assert order.state is State.CANCELLATION_REQUESTED and order.allowed_actions() == ()
    return order_id


def started(order_id: uuid.UUID) -> ProductionEvent:
    return ProductionEvent(order_id=order_id, job_id=uuid.uuid4())


def refused(order_id: uuid.UUID) -> CancellationRefused:
    return CancellationRefused(order_id=order_id, reason="production has already started", job_state="printing")


async def test_cancelling_a_confirmed_order_asks_mes_instead_of_cancelling(db: FakeCrm) -> None:
    order_id = await requested(db)
    [request] = db.of_type("order.cancellation_requested")
    assert request.payload == {"order_id": str(order_id), "reason": "found a cheaper offer"}
    assert db.of_type("order.cancelled") == []
    order = db.orders.rows[order_id]
    assert order.cancellation is not None and order.cancellation.status is CancellationStatus.REQUESTED


async def test_mes_accepting_cancels_the_order(db: FakeCrm) -> None:
    order_id = await requested(db)
    accepted = CancellationAccepted(order_id=order_id, reason="found a cheaper offer")
    await mes_says(db, tracking.cancellation_accepted, accepted, "order.cancellation_accepted")
    await mes_says(db, tracking.cancellation_accepted, accepted, "order.cancellation_accepted")  # a repeat
    order = db.orders.rows[order_id]
    assert order.state is State.CANCELLED and order.cancellation is not None
    assert order.cancellation.status is CancellationStatus.ACCEPTED
    assert [e.state for e in await db.orders.timeline(order_id)][-2:] == [State.CANCELLATION_REQUESTED, State.CANCELLED]


async def test_mes_refusing_puts_the_order_back_and_production_goes_on(db: FakeCrm) -> None:
    order_id = await requested(db)
    await mes_says(db, tracking.cancellation_refused, refused(order_id), "order.cancellation_refused")
    order = db.orders.rows[order_id]
    assert order.state is State.CONFIRMED and order.cancellation is not None
    assert order.cancellation.status is CancellationStatus.REFUSED
    assert "production has already started" in (await db.orders.timeline(order_id))[-1].note
    await mes_says(db, tracking.production_event, started(order_id), "production.started")
    assert db.orders.rows[order_id].state is State.IN_PRODUCTION


async def test_a_production_start_before_the_refusal_is_the_refusal(db: FakeCrm) -> None:
    order_id = await requested(db)
    await mes_says(db, tracking.production_event, started(order_id), "production.started")
    assert db.orders.rows[order_id].state is State.IN_PRODUCTION
    await mes_says(db, tracking.cancellation_refused, refused(order_id), "order.cancellation_refused")
    order = db.orders.rows[order_id]
    assert order.state is State.IN_PRODUCTION and order.cancellation is not None
    assert order.cancellation.status is CancellationStatus.REFUSED
    last = (await db.orders.timeline(order_id))[-1]
    assert last.state is State.IN_PRODUCTION and last.note.startswith("cancellation refused")


async def test_later_production_events_wait_for_the_answer(db: FakeCrm) -> None:
    order_id = await requested(db)
    with pytest.raises(RetryLater):
        await mes_says(db, tracking.production_event, started(order_id), "production.completed")


async def test_the_customer_cannot_confirm_or_cancel_again_while_mes_decides(db: FakeCrm) -> None:
    order_id = await requested(db)
    with pytest.raises(InvalidTransition):
        await service.cancel(me(B2B), order_id, "", uow=uow_factory(db))
    with pytest.raises(InvalidTransition):
        await service.confirm(me(B2B), order_id, uow=uow_factory(db))
    assert len(db.of_type("order.cancellation_requested")) == 1 and len(db.of_type("order.confirmed")) == 1


async def test_production_news_of_a_cancelled_order_is_a_disagreement_not_a_race(db: FakeCrm) -> None:
    order = await place(db, FakeFiles())
    await service.cancel(me(B2B), order.id, "", uow=uow_factory(db))
    with pytest.raises(PermanentError, match="cancelled"):
        await mes_says(db, tracking.production_event, started(order.id), "production.started")


async def test_an_acceptance_nobody_asked_for_is_a_disagreement(db: FakeCrm) -> None:
    order_id = await confirmed(db)
    accepted = CancellationAccepted(order_id=order_id, reason="?")
    with pytest.raises(PermanentError, match="confirmed"):
        await mes_says(db, tracking.cancellation_accepted, accepted, "order.cancellation_accepted")
    assert db.orders.rows[order_id].state is State.CONFIRMED
