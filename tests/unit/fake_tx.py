"""What our in-memory fakes share with PostgreSQL's transactions, so use cases behave the same on both:

- row locks (`SELECT ... FOR UPDATE`, a unique-key insert) held until the transaction ends: a second transaction
  asking for the same lock waits;
- read committed: a read sees what other transactions committed, plus this transaction's own writes;
- writes become visible to others only at commit, and a rollback leaves nothing.
The repository contract tests (tests/integration/repositories/) run the same checks on a fake and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable


class LockTable:
    """The database's row locks, shared by every transaction of one fake database."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, asyncio.Lock] = {}

    def transaction(self) -> TxLocks:
        return TxLocks(self)

    def lock(self, key: Hashable) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())


class TxLocks:
    """The locks one transaction holds; released together when it commits or rolls back."""

    def __init__(self, table: LockTable) -> None:
        self.table = table
        self.held: dict[Hashable, asyncio.Lock] = {}

    async def acquire(self, key: Hashable) -> None:
        """Wait until no other transaction holds `key`, then hold it (re-entrant within this transaction)."""
        if key not in self.held:
            lock = self.table.lock(key)
            await lock.acquire()
            self.held[key] = lock

    def release_all(self) -> None:
        for lock in self.held.values():
            lock.release()
        self.held.clear()
