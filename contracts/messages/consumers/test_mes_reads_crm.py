"""MES consumes the CRM's order events: each pact message goes through MES's real use case."""

from __future__ import annotations

from pact import match

from contracts.messages.consumers import mes_reads
from contracts.messages.examples import (
    CUSTOMER_ID,
    ORDER_ID,
    customer_kind,
    decimal,
    order_line,
    order_ref,
    text,
    uuid_,
)
from contracts.messages.labels import labelled
from contracts.messages.pacts import check, expect

pytestmark = labelled("messaging", "MES reads CRM events")


def crm_says(type_: str, payload: dict[str, object]) -> None:
    check(expect("mes", "crm", type_, payload), mes_reads.consume)


def test_order_placed_creates_a_pricing_job_per_line() -> None:
    crm_says(
        "order.placed",
        {
            "order_id": uuid_(ORDER_ID),
            "customer_id": uuid_(CUSTOMER_ID),
            "customer_kind": customer_kind(),
            "contract_discount_pct": decimal("12.5"),
            "lines": match.each_like(order_line()),
        },
    )


def test_order_confirmed_queues_production() -> None:
    crm_says("order.confirmed", order_ref())


def test_order_cancelled_stops_pricing() -> None:
    crm_says("order.cancelled", {**order_ref(), "reason": text("changed my mind")})


def test_cancellation_requested_is_answered_with_the_reason() -> None:
    crm_says("order.cancellation_requested", {**order_ref(), "reason": text("ordered twice")})
