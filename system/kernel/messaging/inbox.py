"""Inbox: one row per (consumer, message_id), written in the same transaction as the handler's effect."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from system.kernel.messaging.envelope import Envelope


class Transaction(Protocol):
    """One unit of work: the inbox claim and the handler's writes commit or roll back together."""

    conn: Any  # what handlers write through (an AsyncConnection for the SQL inbox)

    async def claim_many(self, consumer: str, envelopes: list[Envelope]) -> set[uuid.UUID]:
        """Record the messages as processed; return the ids not seen before (the others are duplicates)."""
        ...


class Inbox(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[Transaction]: ...


class SqlTransaction:
    def __init__(self, conn: AsyncConnection, table: Table) -> None:
        self.conn = conn
        self.table = table

    async def claim_many(self, consumer: str, envelopes: list[Envelope]) -> set[uuid.UUID]:
        rows = [{"consumer": consumer, "message_id": e.message_id, "message_type": e.type} for e in envelopes]
        result = await self.conn.execute(
            insert(self.table).values(rows).on_conflict_do_nothing().returning(self.table.c.message_id)
        )
        return set(result.scalars())


class SqlInbox:
    """The inbox table in the consumer's own database."""

    def __init__(self, engine: AsyncEngine, table: Table) -> None:
        self.engine = engine
        self.table = table

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTransaction]:
        async with self.engine.begin() as conn:
            yield SqlTransaction(conn, self.table)


class StatelessTransaction:
    """For consumers without a database (pricing workers): every message counts as new.

    Their handlers must be idempotent on their own (a pricing job is deterministic, and MES ignores a
    second result for a job it has already settled).
    """

    conn: Any = None

    async def claim_many(self, consumer: str, envelopes: list[Envelope]) -> set[uuid.UUID]:
        return {e.message_id for e in envelopes}


class StatelessInbox:
    """The Inbox of a consumer that keeps no state."""

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[StatelessTransaction]:
        yield StatelessTransaction()
