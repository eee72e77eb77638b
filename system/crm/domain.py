"""CRM domain: accounts, orders with lines, and the order lifecycle state machine (DESIGN.md §3)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from system.kernel.messaging.catalogue import Material, PricedBuild, Process, Unit


class State(StrEnum):
    PRICING = "pricing"
    QUOTED = "quoted"
    PRICING_FAILED = "pricing_failed"
    CONFIRMED = "confirmed"
    CANCELLATION_REQUESTED = "cancellation_requested"
    IN_PRODUCTION = "in_production"
    QUALITY_CHECK = "quality_check"
    QC_FAILED = "qc_failed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


# The whole lifecycle: a transition not listed here is refused. Before confirmation the CRM cancels on its own
# (no production job can exist yet); a confirmed order's cancellation is a request MES accepts (-> cancelled) or
# refuses (-> confirmed, or in_production when the production start arrives first): see system/agreement.py.
TRANSITIONS: dict[State, frozenset[State]] = {
    State.PRICING: frozenset({State.QUOTED, State.PRICING_FAILED, State.CANCELLED}),
    State.QUOTED: frozenset({State.CONFIRMED, State.CANCELLED}),
    State.PRICING_FAILED: frozenset({State.CANCELLED}),
    State.CONFIRMED: frozenset({State.IN_PRODUCTION, State.CANCELLATION_REQUESTED}),
    State.CANCELLATION_REQUESTED: frozenset({State.CANCELLED, State.CONFIRMED, State.IN_PRODUCTION}),
    State.IN_PRODUCTION: frozenset({State.QUALITY_CHECK}),
    State.QUALITY_CHECK: frozenset({State.SHIPPED, State.QC_FAILED}),
    State.QC_FAILED: frozenset({State.IN_PRODUCTION}),
    State.SHIPPED: frozenset({State.DELIVERED}),
    State.DELIVERED: frozenset(),
    State.CANCELLED: frozenset(),
}

# What a customer may do in each state (the UI shows only these buttons). Other transitions follow MES's events:
# e.g. cancellation_requested -> confirmed is MES refusing, never a customer's "confirm".
CUSTOMER_ACTIONS: dict[State, tuple[str, ...]] = {
    State.PRICING: ("cancel",),
    State.QUOTED: ("confirm", "cancel"),
    State.PRICING_FAILED: ("cancel",),
    State.CONFIRMED: ("cancel",),
}
OPERATOR_ACTIONS: dict[State, tuple[str, ...]] = {State.SHIPPED: ("deliver",)}

# How long an order may stay in a state before it counts as stuck (the customer's own decision time is long).
STUCK_AFTER: dict[State, timedelta] = {
    State.PRICING: timedelta(minutes=35),
    State.QUOTED: timedelta(days=14),
    State.CONFIRMED: timedelta(hours=4),
    State.CANCELLATION_REQUESTED: timedelta(minutes=15),  # MES answers in seconds; minutes mean a lost answer
    State.IN_PRODUCTION: timedelta(days=3),
    State.QUALITY_CHECK: timedelta(hours=8),
    State.QC_FAILED: timedelta(hours=8),
    State.SHIPPED: timedelta(days=10),
}

# Who must act for an order in each state to move on: where to look when it does not (None: it is finished).
# Pricing is asked of MES, which hands each line to the worker pool; a failed pricing waits for the customer
# (cancel, or order again with a corrected model).
HOLDERS: dict[State, str | None] = {
    State.PRICING: "pricing pool (via MES)",
    State.QUOTED: "customer",
    State.PRICING_FAILED: "customer",
    State.CONFIRMED: "MES (production)",
    State.CANCELLATION_REQUESTED: "MES (deciding the cancellation)",
    State.IN_PRODUCTION: "MES (production)",
    State.QUALITY_CHECK: "MES (production)",
    State.QC_FAILED: "MES (production)",
    State.SHIPPED: "carrier",
    State.DELIVERED: None,
    State.CANCELLED: None,
}


def holder(state: State) -> str | None:
    """Who holds an order in `state`: the service or person whose move is next (None once it is finished)."""
    return HOLDERS[state]


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
    unit: Unit = Unit.MM  # what the model's coordinates are in
    unit_price: Decimal | None = None
    total_price: Decimal | None = None
    warnings: list[str] = field(default_factory=list)
    breakdown: dict[str, Decimal] = field(default_factory=dict)  # how the quote adds up
    build: PricedBuild | None = None  # how the part is built (processes with a slicer)


@dataclass(frozen=True)
class TimelineEntry:
    """One step of an order's life: where it went, who moved it, and the ids to trace it."""

    state: State
    source: str
    at: datetime
    message_id: uuid.UUID | None = None
    trace_id: str | None = None
    note: str = ""


class CancellationStatus(StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    REFUSED = "refused"


@dataclass(frozen=True)
class Cancellation:
    """The customer's cancellation of a confirmed order and MES's answer to it, as the customer sees it."""

    status: CancellationStatus
    reason: str


@dataclass(frozen=True)
class Position:
    """Where an order is: its state, since when, how long that is against the state's limit, and who holds it."""

    state: State
    since: datetime
    elapsed: timedelta
    limit: timedelta | None  # None: the order may stay in this state for good
    holder: str | None

    @property
    def stuck(self) -> bool:
        return self.limit is not None and self.elapsed > self.limit


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
    cancellation: Cancellation | None = None
    production_seq: int = 0  # the last production event applied (ProductionEvent.sequence)
    trace_id: str | None = None  # the trace the order was placed in (None for orders placed before it was kept)
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

    def note(self, note: str, *, source: str, message_id: uuid.UUID | None = None, trace_id: str | None = None) -> None:
        """Record something that happened to the order without changing its state (e.g. a refused cancellation)."""
        now = _now()
        self.updated_at = now
        self.timeline.append(TimelineEntry(self.state, source, now, message_id, trace_id, note))

    def quote(self, prices: dict[uuid.UUID, tuple[Decimal, Decimal]], total: Decimal) -> None:
        """Set each line's (unit, total) price and the order total (from MES's `order.priced`)."""
        for line in self.lines:
            line.unit_price, line.total_price = prices[line.id]
        self.total_price = total

    def allowed_actions(self) -> tuple[str, ...]:
        return CUSTOMER_ACTIONS.get(self.state, ())

    def require_action(self, action: str, target: State) -> None:
        """InvalidTransition unless a person may take `action` (leading to `target`) in the current state."""
        if action not in CUSTOMER_ACTIONS.get(self.state, ()) + OPERATOR_ACTIONS.get(self.state, ()):
            raise InvalidTransition(self.id, self.state, target)

    def is_stuck(self, now: datetime, limits: dict[State, timedelta] = STUCK_AFTER) -> bool:
        return self.position(now, limits).stuck

    def position(self, now: datetime, limits: dict[State, timedelta] = STUCK_AFTER) -> Position:
        """Where the order is at `now`."""
        return Position(
            self.state, self.state_since, now - self.state_since, limits.get(self.state), holder(self.state)
        )
