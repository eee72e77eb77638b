"""CRM HTTP request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from system.crm.domain import Account, Order, State, TimelineEntry
from system.kernel.messaging.catalogue import Material, Process

# PostgreSQL text cannot hold NUL characters: refuse them at the door (a clear 422, not a database error).
NO_NUL = r"^[^\x00]*$"


class LoginRequest(BaseModel):
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^\s@\x00]+@[^\s@\x00]+$")
    password: str = Field(min_length=1, max_length=200)


class AccountOut(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    role: Literal["customer", "operator"]
    kind: Literal["b2c", "b2b"] | None
    contract_discount_pct: Decimal

    @classmethod
    def of(cls, a: Account) -> AccountOut:
        return cls.model_validate(a, from_attributes=True)


class LoginResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    account: AccountOut


class LineIn(BaseModel):
    file_id: uuid.UUID
    material: Material
    process: Process
    quantity: int = Field(ge=1, le=10_000)
    lead_time_days: int = Field(ge=1, le=90)
    # The File Service stores identical bytes once, under the name of whoever uploaded them first: the
    # customer's own name for their model comes with the line, or another customer's name would show.
    filename: str | None = Field(default=None, min_length=1, max_length=255, pattern=r"^[^/\\\x00]+$")


class OrderIn(BaseModel):
    lines: list[LineIn] = Field(min_length=1, max_length=50)


class CancelIn(BaseModel):
    reason: str = Field(default="", max_length=500, pattern=NO_NUL)


class LineOut(BaseModel):
    id: uuid.UUID
    file_id: uuid.UUID
    filename: str
    sha256: str
    material: Material
    process: Process
    quantity: int
    lead_time_days: int
    unit_price: Decimal | None
    total_price: Decimal | None
    warnings: list[str]


class CancellationOut(BaseModel):
    """A confirmed order's cancellation: requested, then accepted or refused by the factory (MES), and why."""

    status: Literal["requested", "accepted", "refused"]
    reason: str


class OrderOut(BaseModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    state: State
    created_at: datetime
    updated_at: datetime
    state_since: datetime
    currency: str
    total_price: Decimal | None
    lines: list[LineOut]
    failure_reasons: list[str]
    allowed_actions: list[str]
    cancellation: CancellationOut | None = None

    @classmethod
    def of(cls, o: Order) -> OrderOut:
        return cls(
            id=o.id,
            customer_id=o.customer_id,
            state=o.state,
            created_at=o.created_at,
            updated_at=o.updated_at,
            state_since=o.state_since,
            currency=o.currency,
            total_price=o.total_price,
            lines=[LineOut.model_validate(line, from_attributes=True) for line in o.lines],
            failure_reasons=o.failure_reasons,
            allowed_actions=list(o.allowed_actions()),
            cancellation=(
                CancellationOut(status=o.cancellation.status.value, reason=o.cancellation.reason)
                if o.cancellation
                else None
            ),
        )


class OrderList(BaseModel):
    items: list[OrderOut]


class TimelineOut(BaseModel):
    state: State
    source: str
    message_id: uuid.UUID | None
    trace_id: str | None
    at: datetime
    note: str

    @classmethod
    def of(cls, e: TimelineEntry) -> TimelineOut:
        return cls.model_validate(e, from_attributes=True)


class Timeline(BaseModel):
    items: list[TimelineOut]
