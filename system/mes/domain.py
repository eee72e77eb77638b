"""MES domain: an order's pricing jobs (one per line) and its production job, with their state machines."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


class OrderStage(StrEnum):
    PRICING = "pricing"
    PRICED = "priced"
    PRICING_FAILED = "pricing_failed"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class PricingState(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class JobState(StrEnum):
    QUEUED = "queued"
    PRINTING = "printing"
    QC = "qc"
    PASSED = "passed"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


# Operator action -> (required state, next state, event sent to the CRM or None).
ACTIONS: dict[str, tuple[JobState, JobState, str | None]] = {
    "start": (JobState.QUEUED, JobState.PRINTING, "production.started"),
    "complete": (JobState.PRINTING, JobState.QC, "production.completed"),
    "qc-pass": (JobState.QC, JobState.PASSED, None),
    "qc-fail": (JobState.QC, JobState.QUEUED, "production.qc_failed"),  # back in the queue: a reprint
    "ship": (JobState.PASSED, JobState.SHIPPED, "production.shipped"),
}


def _now() -> datetime:
    return datetime.now(UTC)


class InvalidAction(Exception):
    """The job's state does not allow this operator action."""


@dataclass
class MesOrder:
    """What MES keeps of a CRM order: who ordered (for pricing rules), its lines, and how far it got here."""

    id: uuid.UUID
    customer_kind: str
    contract_discount_pct: Decimal
    lines: list[dict[str, Any]]  # the OrderLine contracts as JSON (production needs them)
    stage: OrderStage = OrderStage.PRICING
    created_at: datetime = field(default_factory=_now)
    customer_id: uuid.UUID | None = None  # whose models the pricing workers read (absent for older orders)


@dataclass
class PricingJob:
    id: uuid.UUID
    order_id: uuid.UUID
    line_id: uuid.UUID
    state: PricingState = PricingState.PENDING
    percent: float = 0.0
    unit_price: Decimal | None = None
    total_price: Decimal | None = None
    warnings: list[str] = field(default_factory=list)
    reason: str | None = None
    updated_at: datetime = field(default_factory=_now)
    stage: str = ""  # what the worker last said it was doing
    breakdown: dict[str, str] = field(default_factory=dict)  # the quote's lines, amounts as decimal strings
    build: dict[str, Any] | None = None  # the slicer's figures for the chosen orientation (PricedBuild)

    @property
    def settled(self) -> bool:
        return self.state is not PricingState.PENDING


@dataclass
class ProductionJob:
    id: uuid.UUID
    order_id: uuid.UUID
    lines: list[dict[str, Any]]
    state: JobState = JobState.QUEUED
    attempts: int = 1
    created_at: datetime = field(default_factory=_now)
    updated_at: datetime = field(default_factory=_now)

    def act(self, action: str) -> str | None:
        """Apply an operator action; return the event type to announce (None if nothing to announce)."""
        if action not in ACTIONS:
            raise InvalidAction(f"unknown action {action!r}")
        required, target, event = ACTIONS[action]
        if self.state is not required:
            raise InvalidAction(f"job {self.id} is {self.state.value}; '{action}' needs {required.value}")
        self.state, self.updated_at = target, _now()
        if action == "qc-fail":
            self.attempts += 1
        return event

    def sequence(self, event: str) -> int:
        """The place of `event`, just announced, in this job's history: start, complete, then qc-fail or ship
        (three per round; a qc-fail has already counted the next round)."""
        round_ = self.attempts - 1 if event == "production.qc_failed" else self.attempts
        return 3 * (round_ - 1) + {"production.started": 1, "production.completed": 2}.get(event, 3)


def quote(jobs: list[PricingJob]) -> tuple[Decimal, list[str]] | None:
    """(order total, failure reasons) once every job is settled; None while some are pending."""
    if any(not j.settled for j in jobs):
        return None
    reasons = [j.reason or "pricing failed" for j in jobs if j.state is PricingState.FAILED]
    return sum((j.total_price or Decimal(0) for j in jobs), Decimal(0)), reasons
