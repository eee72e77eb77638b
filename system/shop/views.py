"""How things look to people: prices, dates, state names, the order's journey and the next actions."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from system.shop.schema import Order

CENT = Decimal("0.01")
TRACE_ID = re.compile(r"[0-9a-f]{32}")  # W3C trace context: 16 bytes in lower-case hex

ORDER_STATES = {
    "pricing": ("Calculating price", "info"),
    "quoted": ("Quote ready", "attention"),
    "pricing_failed": ("Pricing failed", "danger"),
    "confirmed": ("Confirmed", "info"),
    "cancellation_requested": ("Cancellation requested", "warning"),
    "in_production": ("In production", "progress"),
    "quality_check": ("Quality check", "progress"),
    "qc_failed": ("Reprinting", "warning"),
    "shipped": ("Shipped", "progress"),
    "delivered": ("Delivered", "success"),
    "cancelled": ("Cancelled", "muted"),
}
# The customer's journey; `_DONE` says how many of these steps an order in a given state has behind it.
STEPS = ("Quote", "Confirmed", "In production", "Quality check", "Shipped", "Delivered")
_DONE = {
    "quoted": 1,
    "confirmed": 2,
    "cancellation_requested": 2,
    "in_production": 2,
    "qc_failed": 2,
    "quality_check": 3,
    "shipped": 5,
}
_DONE["delivered"] = len(STEPS)

JOB_STATES = {
    "queued": "Queued",
    "printing": "Printing",
    "qc": "Quality check",
    "passed": "Ready to ship",
    "shipped": "Shipped",
    "cancelled": "Cancelled",
}
JOB_EMPTY = {
    "queued": "Nothing in the queue.",
    "printing": "Nothing is printing right now.",
    "qc": "Nothing is waiting for a quality check.",
    "passed": "Nothing is waiting to ship.",
}
JOB_ACTIONS: dict[str, list[tuple[str, str]]] = {
    "queued": [("start", "Start")],
    "printing": [("complete", "Complete")],
    "qc": [("qc-pass", "QC pass"), ("qc-fail", "QC fail")],
    "passed": [("ship", "Ship")],
}
# The cost model's lines (system/pricing/cost.py), in the order it applies them.
BREAKDOWN = {
    "material": "Material",
    "machine": "Machine time",
    "quantity_discount": "Quantity discount",
    "setup": "Setup",
    "lead_time": "Lead time",
    "contract_discount": "Contract discount",
    "minimum_price": "Up to the minimum order",
    "rounding": "Rounding",
}
ALWAYS_SHOWN = ("material", "machine", "setup")  # the others only when they change the price
MATERIALS = {"pla": "PLA", "petg": "PETG", "abs": "ABS", "nylon": "Nylon", "resin": "Resin"}
PROCESSES = {"fdm": "FDM · filament", "sla": "SLA · resin", "sls": "SLS · powder"}
UNITS = {"mm": "millimetres (mm)", "cm": "centimetres (cm)", "inch": "inches (in)", "m": "metres (m)"}
SOURCES = {"crm": "Order desk", "mes": "Production", "shop": "Shop", "pricing": "Pricing"}


def eur(value: Decimal | str | float | None) -> str:
    """A euro amount as customers read it: €1,234.50 (an em dash when there is no price yet)."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return "—"
    sign = "\N{MINUS SIGN}" if amount < 0 else ""
    return f"{sign}€{abs(amount):,.2f}"


def when(value: datetime | None) -> str:
    """A timestamp in UTC, e.g. 12 Nov 2026, 14:03 UTC (the browser rewrites it in local time)."""
    if value is None:
        return ""
    value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return f"{value.day} {value:%b %Y, %H:%M} UTC"


def iso(value: datetime | None) -> str:
    """A machine-readable timestamp for <time datetime>."""
    if value is None:
        return ""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def duration_since(value: datetime | None, now: datetime | None = None) -> str:
    """How long ago, coarsely: 45 s, 12 min, 3 h 5 min, 2 d 4 h."""
    if value is None:
        return ""
    now = now or datetime.now(UTC)
    return duration((now - (value if value.tzinfo else value.replace(tzinfo=UTC))).total_seconds())


def duration(value: float | None) -> str:
    """A number of seconds, coarsely: 45 s, 12 min, 3 h 5 min, 2 d 4 h (empty when there is none)."""
    if value is None:
        return ""
    seconds = max(0, int(value))
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 60:
        return f"{seconds} s"
    if minutes < 60:
        return f"{minutes} min"
    if hours < 24:
        return f"{hours} h {minutes % 60} min"
    return f"{days} d {hours % 24} h"


def file_size(n: int) -> str:
    """Bytes in the unit people expect: 512 B, 48.2 KB, 3.1 MB."""
    size = float(n)
    for unit in ("B", "KB", "MB"):
        if size < 1000:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


def percent(value: Decimal | str | None) -> str:
    """A discount as people write it: 12%, 12.5% (empty when there is none)."""
    try:
        amount = Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except InvalidOperation:
        return ""
    return f"{amount.normalize():f}%" if amount > 0 else ""


def size_limit(n: int) -> str:
    """An upload limit in binary megabytes, as file pickers show sizes: 256 MB."""
    return f"{n / 2**20:.3g} MB"


def short_id(value: str) -> str:
    """The first eight characters of an id, enough to tell orders apart in speech and on screen."""
    return value.replace("-", "")[:8].upper()


def state_label(state: str) -> str:
    """A customer-facing name of an order state."""
    return ORDER_STATES.get(state, (state.replace("_", " ").capitalize(), "muted"))[0]


def state_tone(state: str) -> str:
    """The badge colour family of an order state."""
    return ORDER_STATES.get(state, ("", "muted"))[1]


def steps(order: Order) -> list[tuple[str, str]]:
    """The journey steps with `done`, `current` or `todo` each (empty when the order left the journey)."""
    if order.state in ("cancelled", "pricing_failed"):
        return []
    done = _DONE.get(order.state, 0)
    return [(name, "done" if i < done else "current" if i == done else "todo") for i, name in enumerate(STEPS)]


def waterfall_url(traces_url: str | None, trace_id: str | None, link: str) -> str | None:
    """Where a browser sees the trace (`link` under the trace UI, ShopSettings.trace_link); None without a trace
    UI or an id."""
    if not traces_url or not trace_id or not TRACE_ID.fullmatch(trace_id):
        return None
    return traces_url + link.format(trace_id=trace_id)
