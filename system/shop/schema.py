"""What the Shop reads from the CRM, MES and File Service: tolerant models (unknown fields are ignored)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["customer", "operator"]
MATERIALS = ("pla", "petg", "abs", "nylon", "resin")
PROCESSES = ("fdm", "sla", "sls")
UNITS = ("mm", "cm", "inch", "m")
FINAL_STATES = frozenset({"delivered", "cancelled"})


class Remote(BaseModel):
    """Base for payloads of other services: a newer field there must not break the Shop."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Account(Remote):
    id: str
    email: str
    name: str
    role: Role
    kind: Literal["b2c", "b2b"] | None = None
    contract_discount_pct: Decimal = Decimal("0")


class Login(Remote):
    access_token: str
    account: Account


class Build(Remote):
    """How a quoted part is built, from the slicer."""

    orientation: str
    print_seconds: float
    material_cm3: float
    support_cm3: float
    orientations: int


class OrderLine(Remote):
    id: str
    file_id: str
    filename: str = ""
    sha256: str = ""
    material: str
    process: str
    quantity: int
    lead_time_days: int
    unit: str = "mm"
    unit_price: Decimal | None = None
    total_price: Decimal | None = None
    warnings: list[str] = []
    breakdown: dict[str, Decimal] = {}
    build: Build | None = None


class PricingLine(Remote):
    line_id: str
    state: str
    percent: float
    stage: str = ""


class Pricing(Remote):
    """How far the factory's pricing of an order has come (MES)."""

    percent: float
    lines: list[PricingLine] = []


class Cancellation(Remote):
    status: str  # requested | accepted | refused
    reason: str = ""


class Order(Remote):
    id: str
    customer_id: str
    state: str
    created_at: datetime
    updated_at: datetime
    state_since: datetime | None = None
    currency: str = "EUR"
    total_price: Decimal | None = None
    lines: list[OrderLine] = []
    failure_reasons: list[str] = []
    allowed_actions: list[str] = []
    cancellation: Cancellation | None = None

    @property
    def is_final(self) -> bool:
        """Nothing will happen to this order any more: no need to keep watching it."""
        return self.state in FINAL_STATES


class TimelineEntry(Remote):
    state: str
    source: str = ""
    message_id: str | None = None
    trace_id: str | None = None
    at: datetime
    note: str | None = None


class DeadLetter(Remote):
    queue: str = ""
    message_id: str = ""
    type: str = ""
    attempts: int = 0
    reason: str = ""


class Position(Remote):
    """Where an order is, as the CRM tells operators: state against its limit, holder, trace, dead letters."""

    order_id: str
    customer_id: str = ""
    state: str
    since: datetime
    in_state_seconds: float
    limit_seconds: float | None = None
    stuck: bool = False
    holder: str | None = None
    trace_id: str | None = None
    timeline: list[TimelineEntry] = []
    dead_letters: list[DeadLetter] = []
    dead_letters_complete: bool = True
    checked_at: datetime


class JobLine(Remote):
    line_id: str
    file_id: str
    material: str
    process: str
    quantity: int


class Job(Remote):
    id: str
    order_id: str
    state: str
    attempts: int = 0
    created_at: datetime
    updated_at: datetime
    lines: list[JobLine] = []


class ModelFile(Remote):
    id: str
    sha256: str
    size: int
    filename: str
    format: str = ""
    triangle_count: int = 0
    volume_mm3: float = 0.0
    area_mm2: float = 0.0
    bbox_min: tuple[float, float, float] = (0.0, 0.0, 0.0)
    bbox_max: tuple[float, float, float] = (0.0, 0.0, 0.0)
    watertight: bool = True
    likely_units: list[str] = []  # when, read in mm, the model is a speck: the units to ask about
    deduplicated: bool = False

    @property
    def dimensions_mm(self) -> tuple[float, float, float]:
        """Width, depth and height of the bounding box."""
        lo, hi = self.bbox_min, self.bbox_max
        return (hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2])


class UploadPart(Remote):
    part_number: int
    url: str


class UploadTicket(Remote):
    upload_id: str
    url: str | None = None
    parts: list[UploadPart] = []
    part_size: int = Field(gt=0)
    complete_url: str
