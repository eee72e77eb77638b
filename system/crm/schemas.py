"""CRM HTTP request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from system.crm.domain import Account, Order, State, TimelineEntry
from system.crm.ports import DeadLetterInfo
from system.crm.service import OrderPosition
from system.kernel.messaging.catalogue import Material, PricedBuild, Process, Unit

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
    unit: Unit = Field(default=Unit.MM, description="The unit the model was drawn in (STL files carry none)")
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
    unit: Unit
    unit_price: Decimal | None
    total_price: Decimal | None
    warnings: list[str]
    breakdown: dict[str, Decimal] = Field(
        default_factory=dict, description="How the line total adds up: material, machine, setup, discounts..."
    )
    build: PricedBuild | None = Field(default=None, description="How the part is built, from the slicer (FDM, SLA)")


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


class DeadLetterOut(BaseModel):
    """A message about the order that its consumer gave up on."""

    queue: str = Field(description="The work queue it was dead-lettered from")
    message_id: str
    type: str
    attempts: int
    reason: str

    @classmethod
    def of(cls, d: DeadLetterInfo) -> DeadLetterOut:
        return cls.model_validate(d, from_attributes=True)


class PositionOut(BaseModel):
    """Where an order is: its state, since when against the state's limit, who holds it, and what explains it."""

    order_id: uuid.UUID
    customer_id: uuid.UUID
    state: State
    since: datetime = Field(description="When the order entered its state")
    in_state_seconds: float = Field(description="How long it has been in its state, at `checked_at`")
    limit_seconds: float | None = Field(
        description="How long the state may last before the order is stuck; null: no limit"
    )
    stuck: bool
    holder: str | None = Field(description="Who must act for the order to move on; null once it is finished")
    trace_id: str | None = Field(
        description="The trace the order was placed in; null for orders placed before it was kept"
    )
    timeline: list[TimelineOut]
    dead_letters: list[DeadLetterOut] = Field(description="Messages about the order in the dead-letter queues")
    dead_letters_complete: bool = Field(description="False when a dead-letter queue held more than one lookup reads")
    checked_at: datetime

    @classmethod
    def of(cls, found: OrderPosition) -> PositionOut:
        p, o = found.position, found.order
        return cls(
            order_id=o.id,
            customer_id=o.customer_id,
            state=p.state,
            since=p.since,
            in_state_seconds=p.elapsed.total_seconds(),
            limit_seconds=p.limit.total_seconds() if p.limit is not None else None,
            stuck=p.stuck,
            holder=p.holder,
            trace_id=o.trace_id,
            timeline=[TimelineOut.of(e) for e in found.timeline],
            dead_letters=[DeadLetterOut.of(d) for d in found.dead_letters.letters],
            dead_letters_complete=found.dead_letters.complete,
            checked_at=found.at,
        )
