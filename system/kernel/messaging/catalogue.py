"""The message contracts of the whole system (DESIGN.md §3): one pydantic model per message type."""

from __future__ import annotations

import uuid
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from system.kernel.messaging.envelope import Envelope, UndecodableMessage, parse_payload


class Contract(BaseModel):
    # A tolerant reader: a field a newer producer added is ignored, so adding an optional field is compatible
    # with the consumers of the release still running beside it (contracts/messages/compat.py checks the rest).
    model_config = ConfigDict(frozen=True, extra="ignore")


class Material(StrEnum):
    PLA = "pla"
    PETG = "petg"
    ABS = "abs"
    NYLON = "nylon"
    RESIN = "resin"


class Process(StrEnum):
    FDM = "fdm"
    SLA = "sla"
    SLS = "sls"


class Unit(StrEnum):
    """The length unit a model was drawn in: STL files carry none, so the customer says it per order line."""

    MM = "mm"
    CM = "cm"
    INCH = "inch"
    M = "m"

    @property
    def mm(self) -> float:
        """Millimetres per unit."""
        return {"mm": 1.0, "cm": 10.0, "inch": 25.4, "m": 1000.0}[self.value]


class OrderLine(Contract):
    line_id: uuid.UUID
    file_id: uuid.UUID
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    material: Material
    process: Process
    quantity: int = Field(ge=1, le=10_000)
    lead_time_days: int = Field(ge=1, le=90)
    unit: Unit = Unit.MM  # absent in messages from before units: those models were taken as millimetres


class OrderPlaced(Contract):
    order_id: uuid.UUID
    customer_id: uuid.UUID
    customer_kind: str = Field(pattern="^(b2c|b2b)$")
    contract_discount_pct: Decimal = Field(default=Decimal(0), ge=0, le=100)
    lines: list[OrderLine] = Field(min_length=1)


class OrderConfirmed(Contract):
    order_id: uuid.UUID


class OrderCancelled(Contract):
    order_id: uuid.UUID
    reason: str


class CancellationRequested(Contract):
    """The customer wants a confirmed order cancelled; only MES knows whether production has started."""

    order_id: uuid.UUID
    reason: str


class CancellationAccepted(Contract):
    """MES stopped the order before production started: the order is cancelled."""

    order_id: uuid.UUID
    reason: str


class CancellationRefused(Contract):
    """MES could not cancel: production had started (`job_state` says how far it got)."""

    order_id: uuid.UUID
    reason: str
    job_state: str


class PricingRequested(Contract):
    job_id: uuid.UUID
    order_id: uuid.UUID
    line: OrderLine
    customer_kind: str
    contract_discount_pct: Decimal = Decimal(0)
    # The account the order belongs to: the worker reads the model acting for it (absent in older messages).
    customer_id: uuid.UUID | None = None


class PricingProgress(Contract):
    job_id: uuid.UUID
    order_id: uuid.UUID
    percent: float = Field(ge=0, le=100)
    stage: str = Field(default="", max_length=200)  # what the job is doing, e.g. "front down (2 of 5): Infilling"


class PricedBuild(Contract):
    """How the quoted part is built: the slicer's estimate for the orientation that came out cheapest."""

    orientation: str
    print_seconds: float = Field(ge=0)  # one part
    material_cm3: float = Field(ge=0)  # one part, supports included
    support_cm3: float = Field(ge=0)  # of which supports
    orientations: int = Field(ge=1)  # how many ways up were compared


class PricingCompleted(Contract):
    job_id: uuid.UUID
    order_id: uuid.UUID
    line_id: uuid.UUID
    unit_price: Decimal
    total_price: Decimal
    currency: str = "EUR"
    breakdown: dict[str, Decimal]
    warnings: list[str] = []
    build: PricedBuild | None = None  # absent for processes priced from geometry alone (SLS), and from older workers


class PricingFailed(Contract):
    job_id: uuid.UUID
    order_id: uuid.UUID
    line_id: uuid.UUID
    reason: str


class LineQuote(Contract):
    line_id: uuid.UUID
    unit_price: Decimal
    total_price: Decimal
    warnings: list[str] = []
    breakdown: dict[str, Decimal] = {}  # the cost model's lines (absent from older MES releases)
    build: PricedBuild | None = None


class OrderPriced(Contract):
    order_id: uuid.UUID
    total_price: Decimal
    currency: str = "EUR"
    lines: list[LineQuote]


class OrderPricingFailed(Contract):
    order_id: uuid.UUID
    reasons: list[str] = Field(min_length=1)


class ProductionEvent(Contract):
    order_id: uuid.UUID
    job_id: uuid.UUID
    note: str = ""
    # The event's place in the job's history (start, complete, then qc-fail or ship: three per round), so a
    # consumer applies them in order whatever order they arrive in, and knows a stale one when it sees it.
    # Optional: messages of release 0.1.0 have none.
    sequence: int | None = Field(default=None, ge=1)


class Route(Contract):
    """Where a message type is published: the producer's topic exchange, the type as routing key."""

    exchange: str
    model: type[Contract]


CATALOGUE: dict[str, Route] = {
    "order.placed": Route(exchange="crm.events", model=OrderPlaced),
    "order.confirmed": Route(exchange="crm.events", model=OrderConfirmed),
    "order.cancelled": Route(exchange="crm.events", model=OrderCancelled),
    "order.cancellation_requested": Route(exchange="crm.events", model=CancellationRequested),
    "order.cancellation_accepted": Route(exchange="mes.events", model=CancellationAccepted),
    "order.cancellation_refused": Route(exchange="mes.events", model=CancellationRefused),
    "pricing.requested": Route(exchange="mes.pricing", model=PricingRequested),
    "pricing.progress": Route(exchange="pricing.events", model=PricingProgress),
    "pricing.completed": Route(exchange="pricing.events", model=PricingCompleted),
    "pricing.failed": Route(exchange="pricing.events", model=PricingFailed),
    "order.priced": Route(exchange="mes.events", model=OrderPriced),
    "order.pricing_failed": Route(exchange="mes.events", model=OrderPricingFailed),
    "production.started": Route(exchange="mes.events", model=ProductionEvent),
    "production.completed": Route(exchange="mes.events", model=ProductionEvent),
    "production.qc_failed": Route(exchange="mes.events", model=ProductionEvent),
    "production.shipped": Route(exchange="mes.events", model=ProductionEvent),
}

EXCHANGES = sorted({r.exchange for r in CATALOGUE.values()})


def route(message_type: str) -> Route:
    """The route of a catalogue type; UndecodableMessage for an unknown type."""
    try:
        return CATALOGUE[message_type]
    except KeyError:
        raise UndecodableMessage(f"unknown message type {message_type!r}") from None


def decode(body: bytes) -> tuple[Envelope, BaseModel]:
    """Envelope and validated payload of a catalogue message, or UndecodableMessage with the reason."""
    envelope = Envelope.from_bytes(body)
    return envelope, parse_payload(envelope, route(envelope.type).model)
