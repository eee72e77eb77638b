"""The MES repositories' contract, run on the in-memory fake and on PostgreSQL: the fake must not drift."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from system.mes.domain import JobState, MesOrder, OrderStage, PricingJob, PricingState, ProductionJob
from tests.integration.repositories.conftest import UowFactory, second_waits_for_first


def mes_order() -> MesOrder:
    return MesOrder(uuid.uuid4(), "b2b", Decimal("12.50"), [{"line_id": str(uuid.uuid4())}], customer_id=uuid.uuid4())


async def stored(uow: UowFactory, jobs: int = 2) -> tuple[MesOrder, list[PricingJob]]:
    order = mes_order()
    pricing = [PricingJob(uuid.uuid4(), order.id, uuid.uuid4()) for _ in range(jobs)]
    async with uow() as tx:
        await tx.orders.add(order)
        await tx.pricing.add(*pricing)
    return order, pricing


async def test_rows_read_back_as_they_were_written(mes_uow: UowFactory) -> None:
    order, pricing = await stored(mes_uow)
    job = ProductionJob(uuid.uuid4(), order.id, order.lines)
    async with mes_uow() as tx:
        await tx.production.add(job)
    async with mes_uow() as tx:
        found, jobs, production = (
            await tx.orders.get(order.id), await tx.pricing.for_order(order.id), await tx.production.get(job.id),
        )  # fmt: skip
    assert found is not None and (found.stage, found.customer_id, found.contract_discount_pct, found.lines) == (
        OrderStage.PRICING, order.customer_id, Decimal("12.50"), order.lines,
    )  # fmt: skip
    assert {j.id for j in jobs} == {j.id for j in pricing} and all(j.state is PricingState.PENDING for j in jobs)
    assert production is not None and (production.state, production.attempts) == (JobState.QUEUED, 1)


async def test_saving_changes_a_row_and_states_are_queryable(mes_uow: UowFactory) -> None:
    order, [job, _] = await stored(mes_uow)
    async with mes_uow() as tx:
        loaded = await tx.pricing.get(job.id, for_update=True)
        loaded.state, loaded.unit_price, loaded.warnings = PricingState.COMPLETED, Decimal("3.10"), ["thin wall"]
        await tx.pricing.save(loaded)
    async with mes_uow() as tx:
        completed = await tx.pricing.in_state(PricingState.COMPLETED.value)
        saved = await tx.pricing.get(job.id)
    assert [j.id for j in completed if j.order_id == order.id] == [job.id]
    assert saved is not None and (saved.unit_price, saved.warnings) == (Decimal("3.10"), ["thin wall"])


async def test_every_job_is_listed_newest_first_and_one_state_oldest_first(mes_uow: UowFactory) -> None:
    jobs = []
    for _ in range(2):
        order, _ = await stored(mes_uow)
        jobs.append(ProductionJob(uuid.uuid4(), order.id, order.lines))
        async with mes_uow() as tx:
            await tx.production.add(jobs[-1])
    async with mes_uow() as tx:
        everything = [j.id for j in await tx.production.in_state(None) if j.id in {x.id for x in jobs}]
        queued = [j.id for j in await tx.production.in_state(JobState.QUEUED.value) if j.id in {x.id for x in jobs}]
    assert everything == [jobs[1].id, jobs[0].id]  # the newest shows even after months of older jobs
    assert queued == [jobs[0].id, jobs[1].id]  # a work queue: oldest first


async def test_a_duplicate_id_and_a_rolled_back_transaction_leave_nothing_new(mes_uow: UowFactory) -> None:
    order, _ = await stored(mes_uow)
    with pytest.raises(Exception):  # noqa: B017 - the fake raises KeyError, PostgreSQL an IntegrityError
        async with mes_uow() as tx:
            await tx.orders.add(order)
    fresh = mes_order()
    with pytest.raises(RuntimeError):
        async with mes_uow() as tx:
            await tx.orders.add(fresh)
            raise RuntimeError("the handler failed")
    async with mes_uow() as tx:
        assert await tx.orders.get(fresh.id) is None


async def test_locking_an_orders_jobs_makes_the_next_locker_wait_and_then_read_the_committed_change(
    mes_uow: UowFactory,
) -> None:
    order, _ = await stored(mes_uow, jobs=1)
    job = ProductionJob(uuid.uuid4(), order.id, order.lines)
    async with mes_uow() as tx:
        await tx.production.add(job)

    async def lock(tx: object) -> list[ProductionJob]:
        return await tx.production.for_order(order.id, for_update=True)  # type: ignore[attr-defined, no-any-return]

    async def start(tx: object, rows: list[ProductionJob]) -> None:
        rows[0].act("start")
        await tx.production.save(rows[0])  # type: ignore[attr-defined]

    blocked, seen = await second_waits_for_first(mes_uow, lock, start)
    assert blocked and [j.state for j in seen] == [JobState.PRINTING]
