"""What the CRM's use cases need from the outside world (SQL adapters in production, fakes in unit tests)."""

from __future__ import annotations

import uuid
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from system.crm.domain import Account, Order, State, TimelineEntry
from system.kernel.messaging.envelope import Envelope


class Accounts(Protocol):
    async def get(self, account_id: uuid.UUID) -> Account | None: ...
    async def by_email(self, email: str) -> tuple[Account, str] | None: ...
    async def upsert(self, account: Account, password_hash: str) -> None: ...


@dataclass(frozen=True)
class IdempotencyClaim:
    """Which order an Idempotency-Key placed, and a digest of the request that placed it."""

    order_id: uuid.UUID
    request_hash: str


class Orders(Protocol):
    async def add(self, order: Order) -> None: ...
    async def get(self, order_id: uuid.UUID, *, for_update: bool = False) -> Order | None: ...
    async def claim_idempotency_key(
        self, customer_id: uuid.UUID, key: str, request_hash: str, order_id: uuid.UUID, *, expires_at: datetime
    ) -> IdempotencyClaim | None:
        """Bind an unused (or expired) key to `order_id` and return None, or return the live claim that holds it.

        A concurrent claim of the same key waits until the first one's transaction ends.
        """
        ...

    async def purge_expired_keys(self, now: datetime) -> int:
        """Delete the idempotency keys that expired before `now`; return how many."""
        ...

    async def save(self, order: Order) -> None: ...
    async def find(self, customer_id: uuid.UUID | None, state: State | None, limit: int = 100) -> list[Order]: ...
    async def stuck(self, now: datetime, limit: int = 500) -> list[Order]: ...
    async def timeline(self, order_id: uuid.UUID) -> list[TimelineEntry]: ...
    async def count_by_state(self) -> dict[str, int]: ...


class UnitOfWork(Protocol):
    """One transaction: repositories plus `publish` into the outbox; commits when the context exits cleanly."""

    @property
    def accounts(self) -> Accounts: ...
    @property
    def orders(self) -> Orders: ...

    async def publish(self, *envelopes: Envelope) -> None: ...


class UowFactory(Protocol):
    def __call__(self) -> AbstractAsyncContextManager[UnitOfWork]: ...


@dataclass(frozen=True)
class FileInfo:
    file_id: uuid.UUID
    filename: str
    sha256: str


class FileCatalog(Protocol):
    """The File Service, as far as the CRM cares: does this account own this file, and what is it."""

    async def describe(self, file_id: uuid.UUID, *, account_id: uuid.UUID) -> FileInfo | None:
        """The file as `account_id` sees it; None if it does not exist or that account may not use it."""
        ...


@dataclass(frozen=True)
class DeadLetterInfo:
    """A message about an order that its consumer gave up on: in which work queue, what it was, and why."""

    queue: str
    message_id: str
    type: str
    attempts: int
    reason: str


@dataclass(frozen=True)
class DeadLetterScan:
    """The dead letters found for one order; `complete` is False when a DLQ held more than could be read."""

    letters: list[DeadLetterInfo]
    complete: bool = True


class DeadLetters(Protocol):
    """The broker's dead-letter queues, as far as the CRM cares: what ended there about one order."""

    async def for_order(self, order_id: uuid.UUID) -> DeadLetterScan:
        """Every dead letter whose correlation id is `order_id`, from each work queue's DLQ (left in place)."""
        ...
