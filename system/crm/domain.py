"""CRM domain: accounts, orders with lines, and the order lifecycle state machine (DESIGN.md §3)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from system.kernel.messaging.catalogue import Material, Process


class State(StrEnum):
    PRICING = "pricing"
    QUOTED = "quoted"
    PRICING_FAILED = "pricing_failed"
    CONFIRMED = "confirmed"
    IN_PRODUCTION = "in_production"
    QUALITY_CHECK = "quality_check"
    QC_FAILED = "qc_failed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


# The whole lifecycle: a transition not listed here is refused. Cancelling is allowed before production.
TRANSITIONS: dict[State, frozenset[State]] = {
    State.PRICING: frozenset({State.QUOTED, State.PRICING_FAILED, State.CANCELLED}),
    State.QUOTED: frozenset({State.CONFIRMED, State.CANCELLED}),
    State.PRICING_FAILED: frozenset({State.CANCELLED}),
    State.CONFIRMED: frozenset({State.IN_PRODUCTION, State.CANCELLED}),
    State.IN_PRODUCTION: frozenset({State.QUALITY_CHECK}),
    State.QUALITY_CHECK: frozenset({State.SHIPPED, State.QC_FAILED}),
    State.QC_FAILED: frozenset({State.IN_PRODUCTION}),
    State.SHIPPED: frozenset({State.DELIVERED}),
    State.DELIVERED: frozenset(),
    State.CANCELLED: frozenset(),
}

# What a customer may do in each state (the UI shows only these buttons).
CUSTOMER_ACTIONS: dict[State, tuple[str, ...]] = {
    State.PRICING: ("cancel",),
    State.QUOTED: ("confirm", "cancel"),
    State.PRICING_FAILED: ("cancel",),
    State.CONFIRMED: ("cancel",),
}

# How long an order may stay in a state before it counts as stuck (the customer's own decision time is long).
STUCK_AFTER: dict[State, timedelta] = {
    State.PRICING: timedelta(minutes=35),
    State.QUOTED: timedelta(days=14),
    State.CONFIRMED: timedelta(hours=4),
    State.IN_PRODUCTION: timedelta(days=3),
    State.QUALITY_CHECK: timedelta(hours=8),
    State.QC_FAILED: timedelta(hours=8),
    State.SHIPPED: timedelta(days=10),
}


class InvalidTransition(Exception):
    """The order cannot go from its current state to the requested one."""

    def __init__(self, order_id: uuid.UUID, current: State, target: State) -> None:
        super().__init__(f"order {order_id} is {current.value}; it cannot become {target.value}")
        self.current = current
        self.target = target


@dataclass(frozen=True)
class Account:
    """A customer (B2C or B2B with a contract discount) or an operator."""

    id: uuid.UUID
    email: str
    name: str
    role: str  # "customer" | "operator"
    kind: str | None  # "b2c" | "b2b" for customers
    contract_discount_pct: Decimal = Decimal(0)


@dataclass
class OrderLine:
    id: uuid.UUID
    file_id: uuid.UUID
    filename: str
    sha256: str
    material: Material
    process: Process
    quantity: int
    lead_time_days: int
    unit_price: Decimal | None = None
    total_price: Decimal | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TimelineEntry:
    """One step of an order's life: where it went, who moved it, and the ids to trace it."""

    state: State
    source: str
    at: datetime
    message_id: uuid.UUID | None = None
    trace_id: str | None = None
    note: str = ""


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Order:
    id: uuid.UUID
    customer_id: uuid.UUID
    lines: list[OrderLine]
    state: State = State.PRICING
    total_price: Decimal | None = None
    currency: str = "EUR"
    failure_reasons: list[str] = field(default_factory=list)
    created_at: datetime = field(default_factory=_now)
    updated_at: datetime = field(default_factory=_now)
    state_since: datetime = field(default_factory=_now)
    idempotency_key: str | None = None
    timeline: list[TimelineEntry] = field(default_factory=list)  # entries added since loading

    def can_become(self, target: State) -> bool:
        return target in TRANSITIONS[self.state]

    def transition(
        self,
        target: State,
        *,
        source: str,
        message_id: uuid.UUID | None = None,
        trace_id: str | None = None,
        note: str = "",
    ) -> None:
        """Move to `target` and record it in the timeline; InvalidTransition if the lifecycle forbids it."""
        if not self.can_become(target):
            raise InvalidTransition(self.id, self.state, target)
        now = _now()
        self.state, self.state_since, self.updated_at = target, now, now
        self.timeline.append(TimelineEntry(target, source, now, message_id, trace_id, note))

    def quote(self, prices: dict[uuid.UUID, tuple[Decimal, Decimal]], total: Decimal) -> None:
        """Set each line's (unit, total) price and the order total (from MES's `order.priced`)."""
        for line in self.lines:
            line.unit_price, line.total_price = prices[line.id]
        self.total_price = total

    def allowed_actions(self) -> tuple[str, ...]:
        return CUSTOMER_ACTIONS.get(self.state, ())

    def is_stuck(self, now: datetime, limits: dict[State, timedelta] = STUCK_AFTER) -> bool:
        limit = limits.get(self.state)
        return limit is not None and now - self.state_since > limit
