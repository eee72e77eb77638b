"""The CRM consumes MES's events: quotes, pricing failures, cancellation answers, production progress."""

from __future__ import annotations

import pytest
from pact import match

from contracts.messages.consumers import crm_reads
from contracts.messages.examples import JOB_ID, LINE_ID, decimal, order_ref, text, uuid_
from contracts.messages.labels import labelled
from contracts.messages.pacts import check, expect

pytestmark = labelled("messaging", "the CRM reads MES events")


def mes_says(type_: str, payload: dict[str, object]) -> None:
    check(expect("crm", "mes", type_, payload), crm_reads.consume)


def test_order_priced_quotes_the_order() -> None:
    quote = {
        "line_id": uuid_(LINE_ID),
        "unit_price": decimal("4.20"),
        "total_price": decimal("12.60"),
        "warnings": match.each_like("thin walls"),
    }
    mes_says(
        "order.priced",
        {**order_ref(), "total_price": decimal("12.60"), "currency": text("EUR"), "lines": match.each_like(quote)},
    )


def test_order_pricing_failed_shows_the_reasons() -> None:
    mes_says("order.pricing_failed", {**order_ref(), "reasons": match.each_like("The model is not watertight")})


def test_cancellation_accepted_cancels_the_order() -> None:
    mes_says("order.cancellation_accepted", {**order_ref(), "reason": text("ordered twice")})


def test_cancellation_refused_lets_the_order_go_on() -> None:
    refusal = {**order_ref(), "reason": text("production has already started"), "job_state": text("printing")}
    mes_says("order.cancellation_refused", refusal)


@pytest.mark.parametrize("type_", sorted(crm_reads.BEFORE))
def test_production_events_move_the_order(type_: str) -> None:
    mes_says(type_, {**order_ref(), "job_id": uuid_(JOB_ID), "note": text("attempt 1")})
