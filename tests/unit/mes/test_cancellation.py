"""MES decides a confirmed order's cancellation: accepted while its job is queued, refused once production started."""

from __future__ import annotations

import uuid

import pytest

from system.agreement import disagreement, mes_state
from system.kernel.messaging.catalogue import CancellationRequested, OrderCancelled, OrderConfirmed
from system.kernel.messaging.consumer import PermanentError, RetryLater
from system.mes import cancellation, pricing_flow, production
from system.mes.domain import JobState, OrderStage, ProductionJob
from tests.unit.mes.fakes import FakeMes, uow_factory
from tests.unit.mes.test_flow import OPERATOR, completed, handle, place


async def priced(db: FakeMes) -> uuid.UUID:
    order = await place(db, lines=1)
    [job] = db.pricing.rows
    await handle(db, pricing_flow.pricing_completed, completed(db, job, order.order_id, "9.00"), "pricing.completed")
    return order.order_id


async def confirmed(db: FakeMes) -> tuple[uuid.UUID, ProductionJob]:
    order_id = await priced(db)
    await handle(db, production.order_confirmed, OrderConfirmed(order_id=order_id), "order.confirmed")
    [job] = db.production.rows.values()
    return order_id, job


async def request_cancel(db: FakeMes, order_id: uuid.UUID) -> None:
    request = CancellationRequested(order_id=order_id, reason="changed my mind")
    await handle(db, cancellation.cancellation_requested, request, "order.cancellation_requested")


async def test_a_queued_job_is_cancelled_and_the_request_accepted() -> None:
    db = FakeMes()
    order_id, job = await confirmed(db)
    await request_cancel(db, order_id)
    [answer] = db.of_type("order.cancellation_accepted")
    assert answer.payload == {"order_id": str(order_id), "reason": "changed my mind"}
    assert db.production.rows[job.id].state is JobState.CANCELLED
    assert db.orders.rows[order_id].stage is OrderStage.CANCELLED
    with pytest.raises(Exception, match="needs queued"):  # the operator can no longer start it
        await production.act(OPERATOR, job.id, "start", uow=uow_factory(db))


@pytest.mark.parametrize("actions", [["start"], ["start", "complete"], ["start", "complete", "qc-pass"]])
async def test_once_production_started_the_request_is_refused_with_the_reason(actions: list[str]) -> None:
    db = FakeMes()
    order_id, job = await confirmed(db)
    for action in actions:
        await production.act(OPERATOR, job.id, action, uow=uow_factory(db))
    await request_cancel(db, order_id)
    [answer] = db.of_type("order.cancellation_refused")
    state = db.production.rows[job.id].state
    assert state is not JobState.CANCELLED and answer.payload["job_state"] == state.value
    assert "production has already started" in answer.payload["reason"]
    assert db.of_type("order.cancellation_accepted") == []


async def test_a_request_that_overtook_the_confirmation_is_accepted_and_the_late_confirmation_ignored() -> None:
    db = FakeMes()
    order_id = await priced(db)
    await request_cancel(db, order_id)
    await handle(db, production.order_confirmed, OrderConfirmed(order_id=order_id), "order.confirmed")
    assert len(db.of_type("order.cancellation_accepted")) == 1 and db.production.rows == {}


async def test_a_request_for_an_order_mes_has_not_heard_of_is_retried_later() -> None:
    with pytest.raises(RetryLater):
        await request_cancel(FakeMes(), uuid.uuid4())


async def test_a_repeated_request_gets_the_same_answer() -> None:
    db = FakeMes()
    order_id, _ = await confirmed(db)
    await request_cancel(db, order_id)
    await request_cancel(db, order_id)
    assert len(db.of_type("order.cancellation_accepted")) == 2 and db.of_type("order.cancellation_refused") == []


async def test_an_earlier_releases_cancel_of_a_started_order_is_dead_lettered_with_the_reason() -> None:
    db = FakeMes()
    order_id, job = await confirmed(db)
    await production.act(OPERATOR, job.id, "start", uow=uow_factory(db))
    with pytest.raises(PermanentError, match="after production started"):
        await handle(db, cancellation.order_cancelled, OrderCancelled(order_id=order_id, reason="x"), "order.cancelled")
    assert db.production.rows[job.id].state is JobState.PRINTING


async def test_the_order_view_gives_the_state_the_agreement_check_compares() -> None:
    db = FakeMes()
    order_id, job = await confirmed(db)
    await production.act(OPERATOR, job.id, "start", uow=uow_factory(db))
    view = await production.order_view(OPERATOR, order_id, uow=uow_factory(db))
    assert view.job is not None and mes_state(view.order.stage.value, view.job.state.value) == "printing"
    assert (len(view.production_jobs), view.pricing_jobs) == (1, 1)
    assert disagreement("cancelled", "printing") is not None
    with pytest.raises(production.NotFound):
        await production.order_view(OPERATOR, uuid.uuid4(), uow=uow_factory(db))
