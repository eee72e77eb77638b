"""The MES's unit of work over one PostgreSQL transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from system.kernel.uow import SqlUnitOfWork
from system.mes.adapters import repository
from system.mes.schema import outbox


class MesUnitOfWork(SqlUnitOfWork):
    outbox = outbox

    def __init__(self, conn: AsyncConnection) -> None:
        super().__init__(conn)
        self.orders = repository.orders(conn)
        self.pricing = repository.pricing(conn)
        self.production = repository.production(conn)
