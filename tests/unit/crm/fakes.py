"""In-memory unit of work and File Service for the CRM use cases."""

from __future__ import annotations

import copy
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from system.crm.adapters.dead_letters import BrokerUnavailable
from system.crm.domain import Account, Order, State, TimelineEntry
from system.crm.ports import DeadLetterInfo, DeadLetterScan, FileInfo, IdempotencyClaim
from system.kernel.auth import hash_password
from system.kernel.messaging.envelope import Envelope
from tests.unit.fake_tx import LockTable, TxLocks


@dataclass
class FakeAccounts:
    rows: dict[uuid.UUID, tuple[Account, str]] = field(default_factory=dict)

    async def get(self, account_id: uuid.UUID) -> Account | None:
        found = self.rows.get(account_id)
        return found[0] if found else None

    async def by_email(self, email: str) -> tuple[Account, str] | None:
        wanted = email.strip().lower()  # as the SQL repository: addresses are stored and compared in lower case
        return next((r for r in self.rows.values() if r[0].email == wanted), None)

    async def upsert(self, account: Account, password_hash: str) -> None:
        self.rows[account.id] = (account, password_hash)


@dataclass
class FakeOrders:
    """The committed orders, timelines and idempotency keys (what every transaction reads from)."""

    rows: dict[uuid.UUID, Order] = field(default_factory=dict)
    timelines: dict[uuid.UUID, list[TimelineEntry]] = field(default_factory=dict)
    keys: dict[tuple[uuid.UUID, str], tuple[IdempotencyClaim, datetime]] = field(default_factory=dict)

    async def timeline(self, order_id: uuid.UUID) -> list[TimelineEntry]:
        return list(self.timelines.get(order_id, []))


class TxOrders:
    """One transaction's view of the orders: committed rows plus its own writes, applied at commit."""

    def __init__(self, committed: FakeOrders, locks: TxLocks) -> None:
        self.committed, self.locks = committed, locks
        self.staged = FakeOrders()
        self.purged: set[tuple[uuid.UUID, str]] = set()

    def _rows(self) -> dict[uuid.UUID, Order]:
        return {**self.committed.rows, **self.staged.rows}

    async def add(self, order: Order) -> None:
        if order.id in self._rows():
            raise KeyError(f"duplicate order id {order.id}")
        await self.save(order)

    async def get(self, order_id: uuid.UUID, *, for_update: bool = False) -> Order | None:
        if for_update:
            await self.locks.acquire(("order", order_id))
        return copy.deepcopy(self._rows().get(order_id))

    async def claim_idempotency_key(
        self, customer_id: uuid.UUID, key: str, request_hash: str, order_id: uuid.UUID, *, expires_at: datetime
    ) -> IdempotencyClaim | None:
        await self.locks.acquire(("idempotency-key", customer_id, key))  # the unique index makes others wait
        held = self.staged.keys.get((customer_id, key))
        if held is None and (customer_id, key) not in self.purged:
            held = self.committed.keys.get((customer_id, key))
        if held is not None and held[1] > datetime.now(UTC):
            return held[0]
        self.staged.keys[(customer_id, key)] = (IdempotencyClaim(order_id, request_hash), expires_at)
        return None

    async def purge_expired_keys(self, now: datetime) -> int:
        expired = [k for k, (_, expires_at) in {**self.committed.keys, **self.staged.keys}.items() if expires_at < now]
        for key in expired:
            await self.locks.acquire(("idempotency-key", *key))
            self.purged.add(key)
            self.staged.keys.pop(key, None)
        return len(expired)

    async def save(self, order: Order) -> None:
        self.staged.timelines.setdefault(order.id, []).extend(order.timeline)
        order.timeline = []
        self.staged.rows[order.id] = copy.deepcopy(order)

    async def find(self, customer_id: uuid.UUID | None, state: State | None, limit: int = 100) -> list[Order]:
        found = [o for o in self._rows().values() if customer_id in (None, o.customer_id) and state in (None, o.state)]
        return copy.deepcopy(sorted(found, key=lambda o: o.created_at, reverse=True)[:limit])

    async def stuck(self, now: datetime, limit: int = 500) -> list[Order]:
        late = sorted((o for o in self._rows().values() if o.is_stuck(now)), key=lambda o: o.state_since)
        return copy.deepcopy(late[:limit])

    async def timeline(self, order_id: uuid.UUID) -> list[TimelineEntry]:
        return await self.committed.timeline(order_id) + list(self.staged.timelines.get(order_id, []))

    async def count_by_state(self) -> dict[str, int]:
        return dict(Counter(o.state.value for o in self._rows().values()))

    def commit(self) -> None:
        self.committed.rows.update(self.staged.rows)
        for order_id, entries in self.staged.timelines.items():
            self.committed.timelines.setdefault(order_id, []).extend(entries)
        for key in self.purged:
            self.committed.keys.pop(key, None)
        self.committed.keys.update(self.staged.keys)


@dataclass
class FakeCrm:
    accounts: FakeAccounts = field(default_factory=FakeAccounts)
    orders: FakeOrders = field(default_factory=FakeOrders)
    published: list[Envelope] = field(default_factory=list)
    locks: LockTable = field(default_factory=LockTable)

    def of_type(self, type_: str) -> list[Envelope]:
        return [e for e in self.published if e.type == type_]


class FakeUow:
    """One transaction over the fake CRM database (see tests/unit/fake_tx.py for what it shares with PostgreSQL)."""

    def __init__(self, db: FakeCrm) -> None:
        self.db = db
        self.locks = db.locks.transaction()
        self.accounts = copy.deepcopy(db.accounts)  # accounts change only in seeding, never concurrently
        self.orders = TxOrders(db.orders, self.locks)
        self.outbox: list[Envelope] = []

    async def publish(self, *envelopes: Envelope) -> None:
        self.outbox.extend(envelopes)

    def commit(self) -> None:
        self.db.accounts.rows.update(self.accounts.rows)
        self.orders.commit()
        self.db.published.extend(self.outbox)


def uow_factory(db: FakeCrm):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def uow() -> AsyncIterator[FakeUow]:
        tx = FakeUow(db)
        try:
            yield tx
            tx.commit()  # an exception skips this: a rollback
        finally:
            tx.locks.release_all()

    return uow


@dataclass
class FakeFiles:
    """Files with their owner: `describe` answers only for the owner, like the File Service's grants."""

    known: dict[uuid.UUID, tuple[FileInfo, uuid.UUID]] = field(default_factory=dict)

    def add(self, filename: str = "part.stl", *, owner: uuid.UUID) -> uuid.UUID:
        file_id = uuid.uuid4()
        self.known[file_id] = (FileInfo(file_id, filename, uuid.uuid4().hex * 2), owner)
        return file_id

    async def describe(self, file_id: uuid.UUID, *, account_id: uuid.UUID) -> FileInfo | None:
        found = self.known.get(file_id)
        return found[0] if found is not None and found[1] == account_id else None


@dataclass
class FakeDeadLetters:
    """The DLQs' letters by the order they are about; `down` is a broker that cannot be reached."""

    letters: dict[uuid.UUID, list[DeadLetterInfo]] = field(default_factory=dict)
    complete: bool = True
    down: bool = False

    def add(self, order_id: uuid.UUID, type_: str = "order.cancellation_accepted", attempts: int = 1) -> DeadLetterInfo:
        letter = DeadLetterInfo("crm.mes-events", str(uuid.uuid4()), type_, attempts, "rejected by handler: test")
        self.letters.setdefault(order_id, []).append(letter)
        return letter

    async def for_order(self, order_id: uuid.UUID) -> DeadLetterScan:
        if self.down:
            raise BrokerUnavailable("RabbitMQ unreachable: fake")
        return DeadLetterScan(list(self.letters.get(order_id, [])), self.complete)


def crm_with(*accounts: Account, password: str = "pw") -> FakeCrm:
    """A CRM database holding `accounts`, each with `password`."""
    crm = FakeCrm()
    for account in accounts:
        crm.accounts.rows[account.id] = (account, hash_password(password))
    return crm
