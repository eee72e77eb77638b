"""Unit of work: one database transaction in which a use case reads, writes and records its outgoing messages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from system.kernel.messaging.envelope import Envelope
from system.kernel.messaging.outbox import add_to_outbox

U = TypeVar("U", bound="SqlUnitOfWork")


class SqlUnitOfWork:
    """Base of each service's unit of work: `publish` writes to the outbox inside the same transaction."""

    outbox: Table  # set by each service's subclass

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def publish(self, *envelopes: Envelope) -> None:
        """Send `envelopes` once this transaction commits (the outbox relay publishes them)."""
        await add_to_outbox(self.conn, self.outbox, *envelopes)


def transactional(
    engine: AsyncEngine, factory: Callable[[AsyncConnection], U]
) -> Callable[[], AbstractAsyncContextManager[U]]:
    """A `uow()` context manager factory: each call opens a transaction and wraps it in `factory`."""

    @asynccontextmanager
    async def uow() -> AsyncIterator[U]:
        async with engine.begin() as conn:
            yield factory(conn)

    return uow


def in_unit_of_work(
    factory: Callable[[AsyncConnection], Any], use_case: Callable[[Any, Envelope, Any], Awaitable[None]]
) -> Callable[[AsyncConnection, Envelope, Any], Awaitable[None]]:
    """A consumer handler that runs `use_case` in a unit of work over the consumer's own transaction."""

    async def handle(conn: AsyncConnection, envelope: Envelope, payload: Any) -> None:
        await use_case(factory(conn), envelope, payload)

    return handle
