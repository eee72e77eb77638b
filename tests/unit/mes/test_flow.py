"""MES use cases on an in-memory unit of work: dispatching pricing, gathering results, production, cancelling."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from system.kernel.auth import Principal
from system.kernel.messaging.catalogue import (
    LineQuote,
    OrderCancelled,
    OrderConfirmed,
    OrderLine,
    OrderPlaced,
    PricedBuild,
    PricingCompleted,
    PricingFailed,
)
from system.kernel.messaging.consumer import PermanentError
from system.kernel.messaging.envelope import Envelope
from system.mes import cancellation, pricing_flow, production
from system.mes.domain import JobState, OrderStage, PricingState
from tests.unit.mes.fakes import FakeMes, uow_factory

OPERATOR = Principal(uuid.uuid4(), "operator")


def envelope(payload: Any, type_: str) -> Envelope:
    return Envelope.wrap(payload, type=type_, producer="test", correlation_id=str(payload.order_id))


async def handle(db: FakeMes, use_case: Any, payload: Any, type_: str) -> Envelope:
    """Run an event use case in one transaction, as the consumer does."""
    env = envelope(payload, type_)
    async with uow_factory(db)() as tx:
        await use_case(tx, env, payload)
    return env


def placed(lines: int = 2) -> OrderPlaced:
    line = dict(sha256="a" * 64, material="pla", process="fdm", quantity=3, lead_time_days=7)
    return OrderPlaced(
        order_id=uuid.uuid4(),
        customer_id=uuid.uuid4(),
        customer_kind="b2b",
        contract_discount_pct=Decimal("12"),
        lines=[OrderLine(line_id=uuid.uuid4(), file_id=uuid.uuid4(), **line) for _ in range(lines)],  # type: ignore[arg-type]
    )


async def place(db: FakeMes, lines: int = 2) -> OrderPlaced:
    order = placed(lines)
    await handle(db, pricing_flow.order_placed, order, "order.placed")
    return order


def completed(db: FakeMes, job_id: uuid.UUID, order_id: uuid.UUID, total: str) -> PricingCompleted:
    line_id = db.pricing.rows[job_id].line_id
    return PricingCompleted(
        job_id=job_id, order_id=order_id, line_id=line_id, unit_price=Decimal(total), total_price=Decimal(total),
        breakdown={"machine": Decimal(total)}, build=BUILD,
    )  # fmt: skip


BUILD = PricedBuild(orientation="as uploaded", print_seconds=600.0, material_cm3=3.5, support_cm3=0.0, orientations=1)


async def test_an_order_gets_one_pricing_job_and_one_request_per_line() -> None:
    db = FakeMes()
    order = await place(db, lines=3)
    requests = db.of_type("pricing.requested")
    assert len(db.pricing.rows) == 3 and len(requests) == 3
    assert {r.payload["line"]["line_id"] for r in requests} == {str(line.line_id) for line in order.lines}
    assert all(r.payload["customer_kind"] == "b2b" and r.correlation_id == str(order.order_id) for r in requests)


async def test_the_same_order_announced_twice_creates_nothing_new() -> None:
    db = FakeMes()
    order = await place(db)
    await handle(db, pricing_flow.order_placed, order, "order.placed")
    assert len(db.pricing.rows) == 2 and len(db.of_type("pricing.requested")) == 2


async def test_an_order_is_priced_only_when_all_its_lines_are() -> None:
    db = FakeMes()
    order = await place(db, lines=2)
    first, second = db.pricing.rows
    await handle(db, pricing_flow.pricing_completed, completed(db, first, order.order_id, "10.00"), "pricing.completed")
    assert db.of_type("order.priced") == []
    await handle(db, pricing_flow.pricing_completed, completed(db, second, order.order_id, "5.50"), "pricing.completed")
    [priced] = db.of_type("order.priced")
    assert Decimal(priced.payload["total_price"]) == Decimal("15.50") and len(priced.payload["lines"]) == 2
    quotes = [LineQuote.model_validate(line) for line in priced.payload["lines"]]
    assert sorted(q.breakdown["machine"] for q in quotes) == [Decimal("5.50"), Decimal("10.00")], "each line's own"
    assert all(q.build == BUILD for q in quotes)
    assert db.orders.rows[order.order_id].stage is OrderStage.PRICED


async def test_a_repeated_result_has_no_second_effect() -> None:
    db = FakeMes()
    order = await place(db, lines=1)
    [job] = db.pricing.rows
    result = completed(db, job, order.order_id, "10.00")
    await handle(db, pricing_flow.pricing_completed, result, "pricing.completed")
    await handle(db, pricing_flow.pricing_completed, result, "pricing.completed")
    assert len(db.of_type("order.priced")) == 1


async def test_one_failed_line_fails_the_order_with_the_reason() -> None:
    db = FakeMes()
    order = await place(db, lines=2)
    first, second = db.pricing.rows
    await handle(db, pricing_flow.pricing_completed, completed(db, first, order.order_id, "10.00"), "pricing.completed")
    failed = PricingFailed(
        job_id=second, order_id=order.order_id, line_id=db.pricing.rows[second].line_id, reason="bad"
    )
    await handle(db, pricing_flow.pricing_failed, failed, "pricing.failed")
    [failure] = db.of_type("order.pricing_failed")
    assert failure.payload["reasons"] == ["bad"] and db.of_type("order.priced") == []


async def test_confirming_queues_one_production_job_and_the_operator_advances_it() -> None:
    db = FakeMes()
    order = await place(db, lines=1)
    [job] = db.pricing.rows
    await handle(db, pricing_flow.pricing_completed, completed(db, job, order.order_id, "9.00"), "pricing.completed")
    confirm = OrderConfirmed(order_id=order.order_id)
    await handle(db, production.order_confirmed, confirm, "order.confirmed")
    await handle(db, production.order_confirmed, confirm, "order.confirmed")
    [queued] = await production.jobs(OPERATOR, JobState.QUEUED, uow=uow_factory(db))
    for action in ["start", "complete", "qc-pass", "ship"]:
        await production.act(OPERATOR, queued.id, action, uow=uow_factory(db))
    types = [e.type for e in db.published if e.type.startswith("production.")]
    assert types == ["production.started", "production.completed", "production.shipped"]


async def test_customers_cannot_touch_production() -> None:
    with pytest.raises(production.Forbidden):
        await production.jobs(Principal(uuid.uuid4(), "customer"), None, uow=uow_factory(FakeMes()))


async def test_confirming_an_unpriced_order_is_a_permanent_error() -> None:
    db = FakeMes()
    order = await place(db)
    with pytest.raises(PermanentError):
        await handle(db, production.order_confirmed, OrderConfirmed(order_id=order.order_id), "order.confirmed")
    assert db.production.rows == {}


async def test_cancelling_stops_pending_pricing_and_ignores_late_results() -> None:
    db = FakeMes()
    order = await place(db, lines=1)
    [job] = db.pricing.rows
    await handle(
        db, cancellation.order_cancelled, OrderCancelled(order_id=order.order_id, reason="x"), "order.cancelled"
    )
    assert db.pricing.rows[job].state is PricingState.CANCELLED
    await handle(db, pricing_flow.pricing_completed, completed(db, job, order.order_id, "1.00"), "pricing.completed")
    assert db.of_type("order.priced") == []
