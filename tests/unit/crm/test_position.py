"""Where an order is (operators): its position, timeline, the trace it was placed in, and its dead letters."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import REGISTRY

from system.crm import service
from system.crm.adapters.dead_letters import BrokerUnavailable
from system.crm.domain import STUCK_AFTER, Account, State
from system.kernel.auth import Principal
from system.kernel.messaging.catalogue import Material, Process
from tests.unit.crm.fakes import FakeCrm, FakeDeadLetters, FakeFiles, crm_with, uow_factory

ADA = Account(uuid.uuid4(), "ada@example.com", "Ada", "customer", "b2c")
EVE = Account(uuid.uuid4(), "eve@example.com", "Eve", "customer", "b2b", Decimal("5"))
OPERATOR = Principal(uuid.uuid4(), "operator")
tracer = TracerProvider().get_tracer(__name__)  # a provider of the test's own: spans make a current trace id


@pytest.fixture
def db() -> FakeCrm:
    return crm_with(ADA, EVE)


def me(account: Account) -> Principal:
    return Principal(account.id, "customer")


async def place(db: FakeCrm, who: Account = ADA) -> service.Order:
    files = FakeFiles()
    line = service.LineRequest(files.add(owner=who.id), Material.PLA, Process.FDM, 1, 7)
    order, _ = await service.place_order(me(who), [line], idempotency_key=None, uow=uow_factory(db), files=files)
    return order


def lookups(outcome: str) -> float:
    return REGISTRY.get_sample_value("crm_order_position_lookups_total", {"outcome": outcome}) or 0.0


async def test_placing_an_order_records_the_trace_it_was_placed_in(db: FakeCrm) -> None:
    with tracer.start_as_current_span("POST /orders") as span:
        order = await place(db)
    untraced = await place(db)

    assert db.orders.rows[order.id].trace_id == format(span.get_span_context().trace_id, "032x")
    assert db.orders.rows[untraced.id].trace_id is None


async def test_an_operator_sees_where_any_customers_order_is_and_why(db: FakeCrm) -> None:
    with tracer.start_as_current_span("POST /orders"):
        order = await place(db, EVE)
    letters = FakeDeadLetters()
    letter = letters.add(order.id)
    letters.add(uuid.uuid4())  # about another order
    before = lookups("moving")

    found = await service.where_is(OPERATOR, order.id, uow=uow_factory(db), dead_letters=letters)

    assert found.order.id == order.id and found.order.trace_id == db.orders.rows[order.id].trace_id
    assert (found.position.state, found.position.holder, found.position.stuck) == (
        State.PRICING, "pricing pool (via MES)", False,
    )  # fmt: skip
    assert found.position.limit == STUCK_AFTER[State.PRICING]
    assert [e.state for e in found.timeline] == [State.PRICING]
    assert found.dead_letters.letters == [letter] and found.dead_letters.complete
    assert lookups("moving") == before + 1


async def test_an_order_past_its_limit_is_reported_stuck(db: FakeCrm) -> None:
    order = await place(db)
    db.orders.rows[order.id].state_since -= STUCK_AFTER[State.PRICING] + timedelta(minutes=1)
    before = lookups("stuck")

    found = await service.where_is(OPERATOR, order.id, uow=uow_factory(db), dead_letters=FakeDeadLetters())

    assert found.position.stuck and found.position.elapsed > STUCK_AFTER[State.PRICING]
    assert found.position.since == db.orders.rows[order.id].state_since
    assert found.at - datetime.now(UTC) < timedelta(seconds=5)
    assert lookups("stuck") == before + 1


async def test_a_finished_order_is_held_by_nobody(db: FakeCrm) -> None:
    order = await place(db)
    await service.cancel(me(ADA), order.id, "", uow=uow_factory(db))

    found = await service.where_is(OPERATOR, order.id, uow=uow_factory(db), dead_letters=FakeDeadLetters())

    assert (found.position.state, found.position.holder, found.position.limit) == (State.CANCELLED, None, None)
    assert [e.state for e in found.timeline] == [State.PRICING, State.CANCELLED]


@pytest.mark.parametrize("whose", ["own", "another customer's", "nobody's"])
async def test_customers_cannot_look_up_where_an_order_is(db: FakeCrm, whose: str) -> None:
    order_id = {"own": (await place(db)).id, "another customer's": (await place(db, EVE)).id}.get(whose, uuid.uuid4())
    letters = FakeDeadLetters()
    letters.add(order_id)

    with pytest.raises(service.Forbidden):  # the same answer whoever the order belongs to: nothing leaks
        await service.where_is(me(ADA), order_id, uow=uow_factory(db), dead_letters=letters)


async def test_an_unknown_order_is_not_found(db: FakeCrm) -> None:
    before = lookups("not_found")
    with pytest.raises(service.NotFound):
        await service.where_is(OPERATOR, uuid.uuid4(), uow=uow_factory(db), dead_letters=FakeDeadLetters())
    assert lookups("not_found") == before + 1


async def test_an_unreachable_broker_fails_the_lookup_and_is_counted(db: FakeCrm) -> None:
    order = await place(db)
    before = lookups("unavailable")
    with pytest.raises(BrokerUnavailable):
        await service.where_is(OPERATOR, order.id, uow=uow_factory(db), dead_letters=FakeDeadLetters(down=True))
    assert lookups("unavailable") == before + 1


async def test_a_lookup_is_logged_with_the_order_id(db: FakeCrm, caplog: pytest.LogCaptureFixture) -> None:
    order = await place(db)
    with caplog.at_level(logging.INFO, logger=service.__name__):
        await service.where_is(OPERATOR, order.id, uow=uow_factory(db), dead_letters=FakeDeadLetters())
    [record] = [r for r in caplog.records if r.getMessage() == "order position looked up"]
    assert getattr(record, "order_id", None) == str(order.id)
