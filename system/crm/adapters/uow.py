"""The CRM's unit of work over one PostgreSQL transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from system.crm.adapters.repository import SqlAccounts, SqlOrders
from system.crm.schema import outbox
from system.kernel.uow import SqlUnitOfWork


class CrmUnitOfWork(SqlUnitOfWork):
    outbox = outbox

    def __init__(self, conn: AsyncConnection) -> None:
        super().__init__(conn)
        self.accounts = SqlAccounts(conn)
        self.orders = SqlOrders(conn)
