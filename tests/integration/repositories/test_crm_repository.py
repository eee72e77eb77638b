"""The CRM repositories' contract, run on the in-memory fake and on PostgreSQL: the fake must not drift."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from system.crm.domain import Account, Cancellation, CancellationStatus, Order, OrderLine, State
from system.kernel.messaging.catalogue import Material, Process
from tests.integration.repositories.conftest import UowFactory, second_waits_for_first


def account(kind: str = "b2c") -> Account:
    return Account(uuid.uuid4(), f"{uuid.uuid4().hex[:8]}@example.com", "Ada", "customer", kind, Decimal("2.50"))


def order_for(customer: Account, created: datetime | None = None, lines: int = 2) -> Order:
    at = created or datetime.now(UTC)
    items = [
        OrderLine(uuid.uuid4(), uuid.uuid4(), f"part-{n}.stl", "a" * 64, Material.PETG, Process.FDM, n + 1, 7)
        for n in range(lines)
    ]
    return Order(uuid.uuid4(), customer.id, items, created_at=at, updated_at=at, state_since=at, idempotency_key="k")


async def with_customer(uow: UowFactory) -> Account:
    customer = account()
    async with uow() as tx:
        await tx.accounts.upsert(customer, "scrypt$00$00")
    return customer


async def test_an_order_reads_back_as_it_was_written(crm_uow: UowFactory) -> None:
    customer = await with_customer(crm_uow)
    order = order_for(customer)
    order.cancellation = Cancellation(CancellationStatus.REFUSED, "printing")
    order.trace_id = "0af7651916cd43dd8448eb211c80319c"
    async with crm_uow() as tx:
        await tx.orders.add(order)
    async with crm_uow() as tx:
        found = await tx.orders.get(order.id)
    assert found is not None
    assert (found.id, found.customer_id, found.state, found.cancellation, found.trace_id) == (
        order.id, customer.id, State.PRICING, order.cancellation, order.trace_id,
    )  # fmt: skip
    assert [(line.id, line.quantity, line.material) for line in found.lines] == [
        (line.id, line.quantity, line.material) for line in order.lines
    ]


async def test_saving_moves_the_state_and_appends_to_the_timeline(crm_uow: UowFactory) -> None:
    customer = await with_customer(crm_uow)
    order = order_for(customer)
    order.transition(State.QUOTED, source="mes", note="quoted")
    async with crm_uow() as tx:
        await tx.orders.add(order)
    async with crm_uow() as tx:
        loaded = await tx.orders.get(order.id, for_update=True)
        assert loaded is not None
        loaded.transition(State.CONFIRMED, source="crm", note="accepted")
        loaded.lines[0].unit_price, loaded.lines[0].total_price = Decimal("1.50"), Decimal("1.50")
        await tx.orders.save(loaded)
    async with crm_uow() as tx:
        found, timeline = await tx.orders.get(order.id), await tx.orders.timeline(order.id)
    assert found is not None and found.state is State.CONFIRMED and found.lines[0].total_price == Decimal("1.50")
    assert found.trace_id is None, "an order placed before trace ids were kept has none"
    assert [(e.state, e.note) for e in timeline] == [(State.QUOTED, "quoted"), (State.CONFIRMED, "accepted")]


async def test_a_rolled_back_transaction_leaves_nothing(crm_uow: UowFactory) -> None:
    customer = await with_customer(crm_uow)
    order = order_for(customer)
    with pytest.raises(RuntimeError):
        async with crm_uow() as tx:
            await tx.orders.add(order)
            raise RuntimeError("the use case failed")
    async with crm_uow() as tx:
        assert await tx.orders.get(order.id) is None and await tx.orders.timeline(order.id) == []


async def test_finding_filters_by_customer_and_state_newest_first(crm_uow: UowFactory) -> None:
    me, other = await with_customer(crm_uow), await with_customer(crm_uow)
    now = datetime.now(UTC)
    old, new, theirs = order_for(me, now - timedelta(hours=1)), order_for(me, now), order_for(other, now)
    new.state = State.QUOTED
    async with crm_uow() as tx:
        for o in (old, new, theirs):
            await tx.orders.add(o)
    async with crm_uow() as tx:
        mine = [o.id for o in await tx.orders.find(me.id, None)]
        quoted = [o.id for o in await tx.orders.find(me.id, State.QUOTED)]
        limited = [o.id for o in await tx.orders.find(me.id, None, limit=1)]
        counts = await tx.orders.count_by_state()
    assert mine == [new.id, old.id] and quoted == [new.id] and limited == [new.id]
    assert counts == {"pricing": 2, "quoted": 1}


async def test_stuck_orders_are_those_past_their_states_limit_oldest_first(crm_uow: UowFactory) -> None:
    customer = await with_customer(crm_uow)
    now = datetime.now(UTC)
    older, old, fresh = (
        order_for(customer, now - age) for age in (timedelta(hours=3), timedelta(hours=2), timedelta())
    )
    async with crm_uow() as tx:
        for o in (old, fresh, older):
            await tx.orders.add(o)
    async with crm_uow() as tx:
        stuck = [o.id for o in await tx.orders.stuck(now)]
    assert stuck == [older.id, old.id]


async def test_accounts_are_found_by_email_whatever_its_case(crm_uow: UowFactory) -> None:
    customer = await with_customer(crm_uow)
    async with crm_uow() as tx:
        found = await tx.accounts.by_email(f"  {customer.email.upper()} ")
        assert await tx.accounts.get(customer.id) == customer
    assert found is not None and found == (customer, "scrypt$00$00")


async def test_an_idempotency_key_names_one_order_per_account_until_it_expires(crm_uow: UowFactory) -> None:
    me, other = uuid.uuid4(), uuid.uuid4()
    first, second = uuid.uuid4(), uuid.uuid4()
    later = datetime.now(UTC) + timedelta(hours=1)
    async with crm_uow() as tx:
        assert await tx.orders.claim_idempotency_key(me, "k", "h1", first, expires_at=later) is None
    async with crm_uow() as tx:
        held = await tx.orders.claim_idempotency_key(me, "k", "h2", second, expires_at=later)
        theirs = await tx.orders.claim_idempotency_key(other, "k", "h2", second, expires_at=later)
    assert held is not None and (held.order_id, held.request_hash) == (first, "h1") and theirs is None
    past = datetime.now(UTC) - timedelta(seconds=1)
    async with crm_uow() as tx:
        assert await tx.orders.claim_idempotency_key(me, "old", "h", first, expires_at=past) is None
    async with crm_uow() as tx:  # expired: the key names the new order now
        assert await tx.orders.claim_idempotency_key(me, "old", "h", second, expires_at=later) is None
        again = await tx.orders.claim_idempotency_key(me, "old", "h", first, expires_at=later)
    assert again is not None and again.order_id == second


async def test_a_locked_order_makes_the_next_locker_wait_and_then_read_the_committed_change(
    crm_uow: UowFactory,
) -> None:
    customer = await with_customer(crm_uow)
    order = order_for(customer)
    async with crm_uow() as tx:
        await tx.orders.add(order)

    async def lock(tx: object) -> Order:
        return await tx.orders.get(order.id, for_update=True)  # type: ignore[attr-defined, no-any-return]

    async def quote(tx: object, row: Order) -> None:
        row.transition(State.QUOTED, source="mes")
        await tx.orders.save(row)  # type: ignore[attr-defined]

    blocked, seen = await second_waits_for_first(crm_uow, lock, quote)
    assert blocked and seen.state is State.QUOTED


async def test_a_concurrent_claim_of_the_same_key_waits_and_then_sees_the_first(crm_uow: UowFactory) -> None:
    me, first = uuid.uuid4(), uuid.uuid4()
    later = datetime.now(UTC) + timedelta(hours=1)

    async def claim(tx: object) -> object:
        return await tx.orders.claim_idempotency_key(me, "k", "h", first, expires_at=later)  # type: ignore[attr-defined]

    async def nothing(tx: object, row: object) -> None:
        return None

    blocked, seen = await second_waits_for_first(crm_uow, claim, nothing)
    assert blocked and seen is not None and seen.order_id == first


async def test_only_expired_keys_are_purged(crm_uow: UowFactory) -> None:
    me, order_id = uuid.uuid4(), uuid.uuid4()
    now = datetime.now(UTC)
    async with crm_uow() as tx:
        await tx.orders.claim_idempotency_key(me, "old", "h", order_id, expires_at=now - timedelta(minutes=1))
        await tx.orders.claim_idempotency_key(me, "live", "h", order_id, expires_at=now + timedelta(hours=1))
    async with crm_uow() as tx:
        assert await tx.orders.purge_expired_keys(now) == 1
    async with crm_uow() as tx:
        live = await tx.orders.claim_idempotency_key(me, "live", "h", uuid.uuid4(), expires_at=now)
        old = await tx.orders.claim_idempotency_key(me, "old", "h2", uuid.uuid4(), expires_at=now + timedelta(hours=1))
    assert live is not None and live.order_id == order_id and old is None
