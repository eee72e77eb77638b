"""A pricing worker consumes MES's `pricing.requested`: its real handler prices the line and answers."""

from __future__ import annotations

from pact import match

from contracts.messages.consumers import pricing_reads
from contracts.messages.examples import CUSTOMER_ID, customer_kind, decimal, job_ref, order_line, uuid_
from contracts.messages.labels import labelled
from contracts.messages.pacts import check, expect

pytestmark = labelled("pricing", "workers read pricing requests")


def test_pricing_requested_is_priced_and_answered() -> None:
    request = {
        **job_ref(),
        "line": match.like(order_line()),
        "customer_kind": customer_kind(),
        "contract_discount_pct": decimal("12.5"),
        "customer_id": uuid_(CUSTOMER_ID),
    }
    check(expect("pricing", "mes", "pricing.requested", request), pricing_reads.consume)
