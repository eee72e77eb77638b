"""In-memory unit of work for the MES use cases: rows in dicts, published envelopes in a list."""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from system.kernel.messaging.envelope import Envelope
from system.mes.domain import MesOrder, PricingJob, ProductionJob
from tests.unit.fake_tx import LockTable, TxLocks

T = TypeVar("T", MesOrder, PricingJob, ProductionJob)


@dataclass
class FakeRows(Generic[T]):
    """The committed rows of one table (what every transaction reads from)."""

    rows: dict[uuid.UUID, T] = field(default_factory=dict)


class TxRows(Generic[T]):
    """One transaction's view of a table: committed rows plus its own writes, applied at commit."""

    def __init__(self, committed: FakeRows[T], locks: TxLocks, table: str) -> None:
        self.committed: FakeRows[T] = committed
        self.locks, self.table = locks, table
        self.staged: dict[uuid.UUID, T] = {}

    def _rows(self) -> dict[uuid.UUID, T]:
        return {**self.committed.rows, **self.staged}

    async def _lock(self, rows: list[T]) -> list[T]:
        for row in rows:
            await self.locks.acquire((self.table, row.id))
        return [copy.deepcopy(self._rows()[row.id]) for row in rows]  # the latest committed version, once locked

    async def get(self, id_: uuid.UUID, *, for_update: bool = False) -> T | None:
        found = self._rows().get(id_)
        if found is None:
            return None
        return (await self._lock([found]))[0] if for_update else copy.deepcopy(found)

    async def for_order(self, order_id: uuid.UUID, *, for_update: bool = False) -> list[T]:
        found = [r for r in self._rows().values() if getattr(r, "order_id", None) == order_id]
        return await self._lock(found) if for_update else copy.deepcopy(found)

    async def in_state(self, state: str | None) -> list[T]:
        """As the SQL repository: one state oldest first, all states newest first."""
        found = [copy.deepcopy(r) for r in self._rows().values() if state is None or getattr(r, "state", None) == state]
        return sorted(found, key=lambda r: getattr(r, "created_at", 0), reverse=state is None)

    async def add(self, *entities: T) -> None:
        for e in entities:
            if e.id in self._rows():
                raise KeyError(f"duplicate primary key {e.id} in {self.table}")
            self.staged[e.id] = copy.deepcopy(e)

    async def save(self, entity: T) -> None:
        if entity.id not in self._rows():
            raise KeyError(f"no row {entity.id} in {self.table}")  # an UPDATE of nothing would hide a bug
        self.staged[entity.id] = copy.deepcopy(entity)

    def commit(self) -> None:
        self.committed.rows.update(self.staged)


@dataclass
class FakeMes:
    """The MES database: committed state, and everything published by committed transactions."""

    orders: FakeRows[MesOrder] = field(default_factory=FakeRows)
    pricing: FakeRows[PricingJob] = field(default_factory=FakeRows)
    production: FakeRows[ProductionJob] = field(default_factory=FakeRows)
    published: list[Envelope] = field(default_factory=list)
    locks: LockTable = field(default_factory=LockTable)

    def of_type(self, type_: str) -> list[Any]:
        return [e for e in self.published if e.type == type_]


class FakeUow:
    """One transaction (see tests/unit/fake_tx.py for what it shares with PostgreSQL's)."""

    def __init__(self, db: FakeMes) -> None:
        self.db = db
        self.locks = db.locks.transaction()
        self.orders = TxRows(db.orders, self.locks, "mes_orders")
        self.pricing = TxRows(db.pricing, self.locks, "pricing_jobs")
        self.production = TxRows(db.production, self.locks, "production_jobs")
        self.outbox: list[Envelope] = []

    async def publish(self, *envelopes: Envelope) -> None:
        self.outbox.extend(envelopes)

    def commit(self) -> None:
        for rows in (self.orders, self.pricing, self.production):
            rows.commit()
        self.db.published.extend(self.outbox)


def uow_factory(db: FakeMes):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def uow() -> AsyncIterator[FakeUow]:
        tx = FakeUow(db)
        try:
            yield tx
            tx.commit()  # an exception skips this: a rollback
        finally:
            tx.locks.release_all()

    return uow
