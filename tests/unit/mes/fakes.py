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

T = TypeVar("T", MesOrder, PricingJob, ProductionJob)


@dataclass
class FakeRows(Generic[T]):
    rows: dict[uuid.UUID, T] = field(default_factory=dict)

    async def get(self, id_: uuid.UUID, *, for_update: bool = False) -> T | None:
        return copy.deepcopy(self.rows.get(id_))  # a copy, like a row read from the database

    async def for_order(self, order_id: uuid.UUID, *, for_update: bool = False) -> list[T]:
        return [copy.deepcopy(r) for r in self.rows.values() if getattr(r, "order_id", None) == order_id]

    async def in_state(self, state: str | None) -> list[T]:
        return [copy.deepcopy(r) for r in self.rows.values() if state is None or getattr(r, "state", None) == state]

    async def add(self, *entities: T) -> None:
        for e in entities:
            assert e.id not in self.rows, "duplicate primary key"
            self.rows[e.id] = copy.deepcopy(e)

    async def save(self, entity: T) -> None:
        assert entity.id in self.rows
        self.rows[entity.id] = copy.deepcopy(entity)


@dataclass
class FakeMes:
    """The MES database: committed state, and everything published by committed transactions."""

    orders: FakeRows[MesOrder] = field(default_factory=FakeRows)
    pricing: FakeRows[PricingJob] = field(default_factory=FakeRows)
    production: FakeRows[ProductionJob] = field(default_factory=FakeRows)
    published: list[Envelope] = field(default_factory=list)

    def of_type(self, type_: str) -> list[Any]:
        return [e for e in self.published if e.type == type_]


class FakeUow:
    """Works on copies of the rows; `commit` makes them (and the outbox) visible, as a transaction would."""

    def __init__(self, db: FakeMes) -> None:
        self.db = db
        self.orders = copy.deepcopy(db.orders)
        self.pricing = copy.deepcopy(db.pricing)
        self.production = copy.deepcopy(db.production)
        self.outbox: list[Envelope] = []

    async def publish(self, *envelopes: Envelope) -> None:
        self.outbox.extend(envelopes)

    def commit(self) -> None:
        self.db.orders, self.db.pricing, self.db.production = self.orders, self.pricing, self.production
        self.db.published.extend(self.outbox)


def uow_factory(db: FakeMes):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def uow() -> AsyncIterator[FakeUow]:
        tx = FakeUow(db)
        yield tx  # an exception skips the commit: a rollback
        tx.commit()

    return uow
