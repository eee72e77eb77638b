"""A fresh customer account, created through the CRM's own unit of work and repository on the stack's database.

Every customer state gets an account of its own. A pact replays fixed values the CRM remembers per account: an
`Idempotency-Key` (kept 24 h) replayed for the same account would return the first order (200) instead of
placing one (201); a new account keeps every replay a first request, for this commit's pacts and earlier
releases' alike. And the demo customer's orders, which other suites use, do not grow with every run.
"""

from __future__ import annotations

import asyncio
import uuid

from system.crm.adapters.uow import CrmUnitOfWork
from system.crm.domain import Account
from system.kernel.auth import hash_password
from system.kernel.db import make_engine
from system.kernel.uow import transactional


def new_customer(database_url: str, password: str) -> Account:
    """Create a B2C customer who signs in with `password`; the account."""
    account = Account(uuid.uuid4(), f"pact-{uuid.uuid4().hex[:12]}@example.com", "Pact Customer", "customer", "b2c")
    asyncio.run(_store(database_url, account, password))
    return account


async def _store(database_url: str, account: Account, password: str) -> None:
    engine = make_engine(database_url, pool_size=1)
    try:
        async with transactional(engine, CrmUnitOfWork)() as tx:
            await tx.accounts.upsert(account, hash_password(password))
    finally:
        await engine.dispose()
