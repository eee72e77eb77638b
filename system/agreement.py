"""The agreement invariant: which CRM order state is compatible with which MES state of the same order.

CRM and MES each hold a view of one order and learn of each other's changes through messages, so at any moment
one of them may be behind. Lagging is allowed; contradicting is not. Two relations say what is allowed:

- `COMPATIBLE`: what may be observed at any time, with messages still in flight (one side lagging);
- `SETTLED`: what must hold once every message has been delivered (nothing in flight).

The decisions that involve both services, and why each one cannot make them disagree:
- cancel vs. production start: a confirmed order's cancellation is a request MES answers (accepted only while its
  job is still queued, under the job's row lock, the same lock an operator's `start` takes), and the CRM follows
  the answer; before confirmation no production job can exist, so the CRM cancels on its own.
- confirm vs. cancel (and any future quote expiry): both are CRM decisions on the CRM's row lock; MES only
  follows. A quote expiry, if added, must be a CRM transition for the same reason.
- deliver vs. reprint: delivery is recorded on a CRM order that MES already reported shipped, and MES allows no
  action on a shipped job, so a reprint can never follow a delivery.

The MES state of an order is its production job's state if it has one, else its order stage, else `absent`
(MES has not heard of it yet). States are plain strings so both services and the test suites can use this module
without importing each other.
"""

from __future__ import annotations

ABSENT = "absent"
_PRODUCTION = frozenset({"queued", "printing", "qc", "passed", "shipped"})
_STARTED = _PRODUCTION - {"queued"}

COMPATIBLE: dict[str, frozenset[str]] = {
    "pricing": frozenset({ABSENT, "pricing", "priced", "pricing_failed"}),
    "quoted": frozenset({"priced"}),
    "pricing_failed": frozenset({"pricing_failed"}),
    # order.confirmed may still be on its way to MES; production events may be on their way back.
    "confirmed": frozenset({"priced"}) | _PRODUCTION,
    # MES's answer (or the production events that make it a refusal) may be on its way back.
    "cancellation_requested": frozenset({"priced", "cancelled"}) | _PRODUCTION,
    "in_production": _PRODUCTION,  # queued again after a QC failure the CRM has not heard of yet
    "quality_check": _PRODUCTION,
    "qc_failed": _PRODUCTION,
    "shipped": frozenset({"shipped"}),
    "delivered": frozenset({"shipped"}),
    # order.placed or order.cancelled may still be on their way to MES; never a started job.
    "cancelled": frozenset({ABSENT, "pricing", "priced", "pricing_failed", "cancelled"}),
}

SETTLED: dict[str, frozenset[str]] = {
    "pricing": frozenset({"pricing"}),
    "quoted": frozenset({"priced"}),
    "pricing_failed": frozenset({"pricing_failed"}),
    "confirmed": frozenset({"queued"}),
    "cancellation_requested": frozenset(),  # a request always gets an answer
    "in_production": frozenset({"printing"}),
    "quality_check": frozenset({"qc", "passed"}),
    "qc_failed": frozenset({"queued"}),
    "shipped": frozenset({"shipped"}),
    "delivered": frozenset({"shipped"}),
    "cancelled": frozenset({"cancelled"}),
}

MES_STATES = frozenset({ABSENT, "pricing", "priced", "pricing_failed", "confirmed", "cancelled"}) | _PRODUCTION


def mes_state(stage: str | None, job_state: str | None) -> str:
    """One MES state for an order: its production job's state if it has one, else its stage, else `absent`."""
    return job_state or stage or ABSENT


def disagreement(crm_state: str, mes: str, *, settled: bool = False) -> str | None:
    """Why these two views of one order contradict each other, or None when they agree."""
    allowed = (SETTLED if settled else COMPATIBLE).get(crm_state)
    if allowed is None:
        return f"unknown CRM state {crm_state!r}"
    if mes not in allowed:
        when = "once every message is delivered" if settled else "even with messages in flight"
        return f"CRM says {crm_state}, MES says {mes}: incompatible {when} (allowed: {', '.join(sorted(allowed))})"
    return None


def production_started(mes: str) -> bool:
    """True once the MES state means the factory has started working on the order."""
    return mes in _STARTED
