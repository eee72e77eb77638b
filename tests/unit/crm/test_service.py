"""CRM use cases on an in-memory unit of work: placing, seeing, confirming, cancelling, and MES events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from system.crm import service, tracking
from system.crm.domain import Account, InvalidTransition, State
from system.kernel.auth import Principal
from system.kernel.messaging.catalogue import (
    LineQuote,
    Material,
    OrderPriced,
    OrderPricingFailed,
    PricedBuild,
    Process,
    ProductionEvent,
)
from system.kernel.messaging.consumer import RetryLater
from system.kernel.messaging.envelope import Envelope
from tests.unit.crm.fakes import FakeCrm, FakeFiles, crm_with, uow_factory

B2B = Account(uuid.uuid4(), "buyer@acme.example", "Acme", "customer", "b2b", Decimal("12.00"))
OTHER = Account(uuid.uuid4(), "eve@example.com", "Eve", "customer", "b2c")
OPERATOR = Principal(uuid.uuid4(), "operator")


@pytest.fixture
def db() -> FakeCrm:
    """The CRM database with two customers."""
    return crm_with(B2B, OTHER)


def me(account: Account) -> Principal:
    return Principal(account.id, "customer")


async def place(db: FakeCrm, files: FakeFiles, key: str | None = None, lines: int = 1) -> service.Order:
    requests = [service.LineRequest(files.add(owner=B2B.id), Material.PLA, Process.FDM, 2, 7) for _ in range(lines)]
    order, _ = await service.place_order(me(B2B), requests, idempotency_key=key, uow=uow_factory(db), files=files)
    return order


async def test_placing_an_order_stores_it_and_announces_it_with_the_contract_discount(db: FakeCrm) -> None:
    order = await place(db, FakeFiles(), lines=2)
    [placed] = db.of_type("order.placed")
    assert db.orders.rows[order.id].state is State.PRICING
    assert placed.payload["customer_kind"] == "b2b" and Decimal(placed.payload["contract_discount_pct"]) == 12
    assert [line["line_id"] for line in placed.payload["lines"]] == [str(line.id) for line in order.lines]
    assert [e.state for e in await db.orders.timeline(order.id)] == [State.PRICING]


async def test_the_same_idempotency_key_never_creates_a_second_order(db: FakeCrm) -> None:
    files = FakeFiles()
    line = service.LineRequest(files.add(owner=B2B.id), Material.PLA, Process.FDM, 1, 7)
    first, created = await service.place_order(me(B2B), [line], idempotency_key="k1", uow=uow_factory(db), files=files)
    again, created_again = await service.place_order(
        me(B2B), [line], idempotency_key="k1", uow=uow_factory(db), files=files
    )
    assert created and not created_again and again.id == first.id
    assert len(db.orders.rows) == 1 and len(db.of_type("order.placed")) == 1


async def test_the_same_key_with_a_different_order_is_refused_and_stores_nothing(db: FakeCrm) -> None:
    files = FakeFiles()
    await place(db, files, key="k1")
    other = service.LineRequest(files.add(owner=B2B.id), Material.PLA, Process.FDM, 5, 7)
    with pytest.raises(service.OrderRejected) as refused:
        await service.place_order(me(B2B), [other], idempotency_key="k1", uow=uow_factory(db), files=files)
    assert refused.value.code == "idempotency-key-reused"
    assert len(db.orders.rows) == 1 and len(db.of_type("order.placed")) == 1


async def test_keys_belong_to_one_account_and_expire(db: FakeCrm) -> None:
    files = FakeFiles()
    first = await place(db, files, key="k1")
    theirs = service.LineRequest(files.add(owner=OTHER.id), Material.PLA, Process.FDM, 2, 7)
    other, created = await service.place_order(
        me(OTHER), [theirs], idempotency_key="k1", uow=uow_factory(db), files=files
    )
    assert created and other.id != first.id  # the same key of another account is another key
    claim, _ = db.orders.keys[(B2B.id, "k1")]
    db.orders.keys[(B2B.id, "k1")] = (claim, datetime.now(UTC) - timedelta(seconds=1))
    later = await place(db, files, key="k1")
    assert later.id != first.id and len(db.of_type("order.placed")) == 3


async def test_a_line_keeps_the_customers_own_name_for_its_model(db: FakeCrm) -> None:
    files = FakeFiles()
    shared = files.add("uploaded-name.stl", owner=B2B.id)
    lines = [
        service.LineRequest(shared, Material.PLA, Process.FDM, 1, 7, "bracket.stl"),
        service.LineRequest(shared, Material.PLA, Process.FDM, 1, 7),
    ]
    order, _ = await service.place_order(me(B2B), lines, idempotency_key=None, uow=uow_factory(db), files=files)
    assert [line.filename for line in order.lines] == ["bracket.stl", "uploaded-name.stl"]


async def test_an_unknown_file_is_rejected_and_nothing_is_stored(db: FakeCrm) -> None:
    line = service.LineRequest(uuid.uuid4(), Material.PLA, Process.FDM, 1, 7)
    with pytest.raises(service.OrderRejected) as rejected:
        await service.place_order(me(B2B), [line], idempotency_key=None, uow=uow_factory(db), files=FakeFiles())
    assert rejected.value.code == "unknown-file" and db.orders.rows == {} and db.published == []


async def test_another_customers_file_is_refused_naming_the_line(db: FakeCrm) -> None:
    files = FakeFiles()
    mine, theirs = files.add(owner=B2B.id), files.add(owner=OTHER.id)
    lines = [service.LineRequest(f, Material.PLA, Process.FDM, 1, 7) for f in (mine, theirs)]
    with pytest.raises(service.OrderRejected) as rejected:
        await service.place_order(me(B2B), lines, idempotency_key=None, uow=uow_factory(db), files=files)
    assert f"line 2 ({theirs})" in rejected.value.detail and str(mine) not in rejected.value.detail
    assert db.orders.rows == {} and db.published == []


async def test_another_customers_order_is_not_found_and_cannot_be_confirmed(db: FakeCrm) -> None:
    order = await place(db, FakeFiles())
    with pytest.raises(service.NotFound):
        await service.get_order(me(OTHER), order.id, uow=uow_factory(db))
    with pytest.raises(service.NotFound):
        await service.cancel(me(OTHER), order.id, "", uow=uow_factory(db))
    assert (await service.get_order(OPERATOR, order.id, uow=uow_factory(db))).id == order.id


async def test_confirming_needs_a_quote_and_then_announces_it(db: FakeCrm) -> None:
    order = await place(db, FakeFiles())
    with pytest.raises(InvalidTransition):
        await service.confirm(me(B2B), order.id, uow=uow_factory(db))
    await mes_says(db, tracking.order_priced, quote_for(db.orders.rows[order.id]), "order.priced")
    confirmed = await service.confirm(me(B2B), order.id, uow=uow_factory(db))
    assert confirmed.state is State.CONFIRMED and len(db.of_type("order.confirmed")) == 1


async def test_cancelling_announces_it_with_the_reason(db: FakeCrm) -> None:
    order = await place(db, FakeFiles())
    await service.cancel(me(B2B), order.id, "changed my mind", uow=uow_factory(db))
    [cancelled] = db.of_type("order.cancelled")
    assert cancelled.payload["reason"] == "changed my mind" and db.orders.rows[order.id].state is State.CANCELLED


async def test_only_operators_record_delivery_and_list_stuck_orders(db: FakeCrm) -> None:
    order = await place(db, FakeFiles())
    with pytest.raises(service.Forbidden):
        await service.deliver(me(B2B), order.id, uow=uow_factory(db))
    with pytest.raises(service.Forbidden):
        await service.stuck_orders(me(B2B), uow=uow_factory(db))
    assert await service.stuck_orders(OPERATOR, uow=uow_factory(db)) == []


BREAKDOWN = {"material": Decimal("2.50"), "machine": Decimal("2.50"), "setup": Decimal("5.00")}
BUILD = PricedBuild(orientation="front down", print_seconds=3600, material_cm3=12.5, support_cm3=1.5, orientations=5)


def quote_for(order: service.Order) -> OrderPriced:
    lines = [
        LineQuote(
            line_id=line.id,
            unit_price=Decimal("5"),
            total_price=Decimal("10"),
            warnings=["thin"],
            breakdown=BREAKDOWN,
            build=BUILD,
        )
        for line in order.lines
    ]
    return OrderPriced(order_id=order.id, total_price=Decimal(10 * len(lines)), lines=lines)


async def mes_says(db: FakeCrm, use_case: Any, payload: Any, type_: str) -> Envelope:
    env = Envelope.wrap(payload, type=type_, producer="mes", correlation_id=str(payload.order_id))
    async with uow_factory(db)() as tx:
        await use_case(tx, env, payload)
    return env


async def test_a_quote_sets_prices_and_warnings_and_is_on_the_timeline_with_its_message_id(db: FakeCrm) -> None:
    order = await place(db, FakeFiles(), lines=2)
    env = await mes_says(db, tracking.order_priced, quote_for(order), "order.priced")
    quoted = db.orders.rows[order.id]
    assert quoted.state is State.QUOTED and quoted.total_price == Decimal(20)
    assert all(line.total_price == Decimal(10) and line.warnings == ["thin"] for line in quoted.lines)
    assert all(line.breakdown == BREAKDOWN and line.build == BUILD for line in quoted.lines), "how it adds up"
    assert (await db.orders.timeline(order.id))[-1].message_id == env.message_id


async def test_a_pricing_failure_keeps_the_reasons(db: FakeCrm) -> None:
    order = await place(db, FakeFiles())
    await mes_says(
        db,
        tracking.order_pricing_failed,
        OrderPricingFailed(order_id=order.id, reasons=["open mesh"]),
        "order.pricing_failed",
    )
    assert db.orders.rows[order.id].failure_reasons == ["open mesh"]


async def test_production_events_drive_the_order_to_shipped_and_a_reprint_goes_back(db: FakeCrm) -> None:
    order = await place(db, FakeFiles())
    await mes_says(db, tracking.order_priced, quote_for(order), "order.priced")
    await service.confirm(me(B2B), order.id, uow=uow_factory(db))
    event = ProductionEvent(order_id=order.id, job_id=uuid.uuid4())
    for type_ in ["production.started", "production.completed", "production.qc_failed", "production.started",
                  "production.completed", "production.shipped"]:  # fmt: skip
        await mes_says(db, tracking.production_event, event, type_)
    assert db.orders.rows[order.id].state is State.SHIPPED
    delivered = await service.deliver(OPERATOR, order.id, uow=uow_factory(db))
    assert delivered.state is State.DELIVERED


async def test_an_event_that_overtook_its_predecessor_is_retried_later_and_a_late_price_is_ignored(
    db: FakeCrm,
) -> None:
    order = await place(db, FakeFiles())
    with pytest.raises(RetryLater):
        await mes_says(
            db, tracking.production_event, ProductionEvent(order_id=order.id, job_id=uuid.uuid4()), "production.shipped"
        )
    await service.cancel(me(B2B), order.id, "", uow=uow_factory(db))
    await mes_says(db, tracking.order_priced, quote_for(order), "order.priced")
    assert db.orders.rows[order.id].state is State.CANCELLED


async def test_sign_in_checks_the_password(db: FakeCrm) -> None:
    assert await service.authenticate("buyer@acme.example", "pw", uow=uow_factory(db)) == B2B
    assert await service.authenticate("buyer@acme.example", "nope", uow=uow_factory(db)) is None
