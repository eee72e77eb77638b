"""Demo accounts for the local stack: one B2C customer, one B2B customer with a contract discount, an operator."""

from __future__ import annotations

import uuid
from decimal import Decimal

from system.crm.domain import Account
from system.crm.ports import UowFactory
from system.kernel.auth import hash_password

DEMO_ACCOUNTS = (
    Account(uuid.UUID("00000000-0000-4000-8000-00000000c001"), "ada@example.com", "Ada Lovelace", "customer", "b2c"),
    Account(
        uuid.UUID("00000000-0000-4000-8000-00000000b001"),
        "buyer@acme.example",
        "Acme Robotics GmbH",
        "customer",
        "b2b",
        Decimal("12.00"),
    ),
    Account(
        uuid.UUID("00000000-0000-4000-8000-00000000f001"), "operator@factory.example", "Shop floor", "operator", None
    ),
)


async def seed_demo_accounts(uow: UowFactory, password: str) -> None:
    """Create or refresh the demo accounts (idempotent, safe with several replicas starting at once)."""
    async with uow() as tx:
        for account in DEMO_ACCOUNTS:
            await tx.accounts.upsert(account, hash_password(password))
