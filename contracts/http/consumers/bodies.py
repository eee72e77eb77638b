"""The bodies consumers read, as matchers: only the fields their client models use."""

from __future__ import annotations

from typing import Any

from pact import match

from contracts.http.consumers import shapes as s

FINAL = ("delivered", "cancelled")  # states that allow no action (an empty list)


def account(role: str = "customer") -> dict[str, Any]:
    """An account as the Shop reads it (`system.shop.schema.Account`)."""
    return {
        "id": s.uuid(s.ACCOUNT_ID),
        "email": match.str("ada@example.com"),
        "name": match.str("Ada Lovelace"),
        "role": match.regex(role, regex="^(customer|operator)$"),
        "contract_discount_pct": s.money("0.00"),
    }


def line(priced: bool) -> dict[str, Any]:
    """An order line; a priced one has its prices."""
    shape: dict[str, Any] = {
        "id": s.uuid(s.LINE_ID),
        "file_id": s.uuid(s.FILE_ID),
        "filename": match.str("bracket.stl"),
        "sha256": s.sha256(),
        "material": match.str("pla"),
        "process": match.str("fdm"),
        "quantity": match.int(2),
        "lead_time_days": match.int(7),
        "unit": match.regex("mm", regex="^(mm|cm|inch|m)$"),
    }
    if priced:
        shape |= {"unit_price": s.money("21.25"), "total_price": s.money("42.50"), "breakdown": breakdown()}
        shape["build"] = build()
    return shape


def breakdown() -> dict[str, Any]:
    """How a line's price adds up: the lines the cost model always writes (the others appear when they apply)."""
    return {name: s.money(amount) for name, amount in (("material", "1.63"), ("machine", "11.25"), ("setup", "5.00"))}


def build() -> dict[str, Any]:
    """How a sliced part is built (FDM in the provider's quoted order)."""
    return {
        "orientation": match.str("as uploaded"),
        "print_seconds": match.number(6750.0),
        "material_cm3": match.number(50.0),
        "support_cm3": match.number(0.0),
        "orientations": match.int(1),
    }


def pricing() -> dict[str, Any]:
    """How far an order's pricing has come, as the Shop reads it (`system.shop.schema.Pricing`)."""
    line = {"line_id": s.uuid(s.LINE_ID), "state": match.str("pending"), "percent": match.number(46.3),
            "stage": match.str("front down (2 of 5): Infilling layers")}  # fmt: skip
    return {"percent": match.number(46.3), "lines": match.each_like(line)}


def order(state: str | None = None, *, priced: bool = False) -> dict[str, Any]:
    """An order as the Shop reads it (`system.shop.schema.Order`): in `state`, or in any state (a list).

    Pact cannot say "string or null" nor "a list, maybe empty", so nullable fields and `allowed_actions` (empty
    for a final order) appear only where the state fixes them."""
    shape: dict[str, Any] = {
        "id": s.uuid(s.ORDER_ID),
        "customer_id": s.uuid(s.ACCOUNT_ID),
        "state": state or match.str("quoted"),
        "created_at": s.time(),
        "updated_at": s.time(),
        "state_since": s.time(),
        "currency": match.str("EUR"),
        "lines": match.each_like(line(priced)),
    }
    if state and state not in FINAL:
        shape["allowed_actions"] = match.each_like(match.str("cancel"))
    if priced:
        shape["total_price"] = s.money("42.50")
    return shape


def stuck_order() -> dict[str, Any]:
    """A stuck order as the operator console reads it: which order, in which state, since when."""
    # Plus what `system.shop.schema.Order` requires. The list holds every customer's stuck orders, in any state.
    return {
        "id": s.uuid(s.ORDER_ID),
        "customer_id": s.uuid(s.ACCOUNT_ID),
        "state": match.str("quoted"),
        "created_at": s.time(),
        "updated_at": s.time(),
        "state_since": s.time(),
    }


def position() -> dict[str, Any]:
    """Where a stuck order is, as the operator's page reads it (`system.shop.schema.Position`): state against its
    limit, who holds it, its timeline. Its trace id and dead letters are optional there and vary, so not stated."""
    return {
        "order_id": s.uuid(s.ORDER_ID),
        "state": match.str("quoted"),
        "since": s.time(),
        "in_state_seconds": match.number(1213200.5),
        "limit_seconds": match.number(1209600.0),
        "stuck": True,
        "holder": match.str("customer"),
        "timeline": match.each_like(timeline_entry(), min=1),
        "checked_at": s.time(),
    }


def timeline_entry() -> dict[str, Any]:
    """One timeline entry (`TimelineEntry`): its state, source and time (ids and note are nullable)."""
    return {"state": match.str("pricing"), "source": match.str("crm"), "at": s.time()}


def job(state: str) -> dict[str, Any]:
    """A production job as the operator console reads it (`system.shop.schema.Job`)."""
    return {
        "id": s.uuid(s.JOB_ID),
        "order_id": s.uuid(s.ORDER_ID),
        "state": state,
        "attempts": match.int(1),
        "created_at": s.time(),
        "updated_at": s.time(),
        "lines": match.each_like(
            {
                "line_id": s.uuid(s.LINE_ID),
                "file_id": s.uuid(s.FILE_ID),
                "material": match.str("pla"),
                "process": match.str("fdm"),
                "quantity": match.int(2),
            }
        ),
    }


def model_file() -> dict[str, Any]:
    """A stored model file as the Shop reads it (`system.shop.schema.ModelFile`)."""
    return {
        "id": s.uuid(s.FILE_ID),
        "sha256": s.sha256(),
        "size": match.int(684),
        "filename": match.str("cube.stl"),
        "format": match.str("stl-binary"),
        "triangle_count": match.int(12),
        "volume_mm3": match.number(1000.0),
        "area_mm2": match.number(600.0),
        "bbox_min": [match.number(0.0)] * 3,
        "bbox_max": [match.number(10.0)] * 3,
        "watertight": match.bool(True),
        "likely_units": [],  # a plain-sized cube raises no unit question (Pact cannot say "a list, maybe empty")
    }
