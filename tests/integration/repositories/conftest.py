"""Each service's repositories, in-memory fake and PostgreSQL, behind one fixture: the contract tests run on both."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from system.crm.adapters.uow import CrmUnitOfWork
from system.crm.schema import metadata as crm_metadata
from system.files.adapters.repository import SqlFileRepository
from system.files.schema import metadata as files_metadata
from system.kernel.uow import transactional
from system.mes.adapters.uow import MesUnitOfWork
from system.mes.schema import metadata as mes_metadata
from tests.plugins.stack import scratch_database
from tests.unit.crm.fakes import FakeCrm
from tests.unit.crm.fakes import uow_factory as crm_fake_uow
from tests.unit.files.fakes import FakeRepository
from tests.unit.mes.fakes import FakeMes
from tests.unit.mes.fakes import uow_factory as mes_fake_uow

UowFactory = Callable[[], AbstractAsyncContextManager[Any]]
KINDS = ["fake", "postgres"]


async def _uow(
    request: pytest.FixtureRequest, unique: str, fake: Callable[[], UowFactory], sql: Any
) -> AsyncIterator[UowFactory]:
    if request.param == "fake":
        yield fake()
        return
    metadata, unit_of_work = sql
    async with scratch_database(request.getfixturevalue("stack"), f"repo_{unique}", metadata) as engine:
        yield transactional(engine, unit_of_work)


@pytest.fixture(params=KINDS)
async def crm_uow(request: pytest.FixtureRequest, unique: str) -> AsyncIterator[UowFactory]:
    """A CRM unit-of-work factory over the fake or over a scratch PostgreSQL database."""
    async for uow in _uow(request, unique, lambda: crm_fake_uow(FakeCrm()), (crm_metadata, CrmUnitOfWork)):
        yield uow


@pytest.fixture(params=KINDS)
async def mes_uow(request: pytest.FixtureRequest, unique: str) -> AsyncIterator[UowFactory]:
    """A MES unit-of-work factory over the fake or over a scratch PostgreSQL database."""
    async for uow in _uow(request, unique, lambda: mes_fake_uow(FakeMes()), (mes_metadata, MesUnitOfWork)):
        yield uow


async def second_waits_for_first(
    uow: UowFactory, lock: Callable[[Any], Awaitable[Any]], change: Callable[[Any, Any], Awaitable[None]]
) -> tuple[bool, Any]:
    """Two transactions take the same lock: is the second one blocked while the first holds it, and what does it
    read once the first commits? Returns (blocked, what the second read)."""
    first_has_lock, release_first = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with uow() as tx:
            row = await lock(tx)
            first_has_lock.set()
            await release_first.wait()
            await change(tx, row)

    async def second() -> Any:
        await first_has_lock.wait()
        async with uow() as tx:
            return await lock(tx)

    holder = asyncio.create_task(first())
    waiter = asyncio.create_task(second())
    await first_has_lock.wait()
    done, _ = await asyncio.wait({waiter}, timeout=0.5)  # a bound on "it did not get through", not a sync point
    blocked = not done
    release_first.set()
    await holder
    return blocked, await waiter


@pytest.fixture(params=KINDS)
async def files_repo(request: pytest.FixtureRequest, unique: str) -> AsyncIterator[Any]:
    """The File Service's repository: the fake, or the SQL one over a scratch PostgreSQL database."""
    if request.param == "fake":
        yield FakeRepository()
        return
    async with scratch_database(request.getfixturevalue("stack"), f"repo_{unique}", files_metadata) as engine:
        yield SqlFileRepository(engine)
