"""MES persistence: the domain dataclasses map 1:1 onto their tables' columns."""

from __future__ import annotations

import dataclasses
import uuid
from decimal import Decimal
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from system.mes.domain import JobState, MesOrder, OrderStage, PricingJob, PricingState, ProductionJob
from system.mes.schema import mes_orders, pricing_jobs, production_jobs

T = TypeVar("T", MesOrder, PricingJob, ProductionJob)


class SqlRows(Generic[T]):
    """Load, add and save one kind of entity; `for_update` locks rows until the transaction ends."""

    def __init__(self, conn: AsyncConnection, table: Table, cls: type[T], enums: dict[str, type]) -> None:
        self.conn = conn
        self.table = table
        self.cls: type[T] = cls
        self.enums = enums

    async def get(self, id_: uuid.UUID, *, for_update: bool = False) -> T | None:
        found = await self.where(self.table.c.id == id_, for_update=for_update)
        return found[0] if found else None

    async def where(
        self, *conditions: ColumnElement[bool], for_update: bool = False, limit: int = 500, newest_first: bool = False
    ) -> list[T]:
        query = select(self.table).where(*conditions).limit(limit)
        if "created_at" in self.table.c:
            created = self.table.c.created_at
            query = query.order_by(created.desc() if newest_first else created)
        rows = await self.conn.execute(query.with_for_update() if for_update else query)
        return [self._entity(dict(r)) for r in rows.mappings()]

    async def for_order(self, order_id: uuid.UUID, *, for_update: bool = False) -> list[T]:
        return await self.where(self.table.c.order_id == order_id, for_update=for_update)

    async def in_state(self, state: str | None) -> list[T]:
        """One state's jobs oldest first (a work queue); without a state, the newest first: after months of
        shipped jobs, the oldest 500 would hide every new one."""
        if state:
            return await self.where(self.table.c.state == state)
        return await self.where(newest_first=True)

    async def add(self, *entities: T) -> None:
        await self.conn.execute(insert(self.table), [self._values(e) for e in entities])

    async def save(self, entity: T) -> None:
        values = self._values(entity)
        await self.conn.execute(update(self.table).where(self.table.c.id == values.pop("id")).values(**values))

    def _values(self, entity: T) -> dict[str, Any]:
        return {f.name: getattr(entity, f.name) for f in dataclasses.fields(entity)}

    def _entity(self, row: dict[str, Any]) -> T:
        for name, enum in self.enums.items():
            row[name] = enum(row[name])
        if "contract_discount_pct" in row:
            row["contract_discount_pct"] = Decimal(row["contract_discount_pct"])
        entity: T = self.cls(**row)
        return entity


def orders(conn: AsyncConnection) -> SqlRows[MesOrder]:
    return SqlRows(conn, mes_orders, MesOrder, {"stage": OrderStage})


def pricing(conn: AsyncConnection) -> SqlRows[PricingJob]:
    return SqlRows(conn, pricing_jobs, PricingJob, {"state": PricingState})


def production(conn: AsyncConnection) -> SqlRows[ProductionJob]:
    return SqlRows(conn, production_jobs, ProductionJob, {"state": JobState})
