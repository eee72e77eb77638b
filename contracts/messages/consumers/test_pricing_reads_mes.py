"""A pricing worker consumes MES's `pricing.requested`: its real handler prices the line and answers."""

from __future__ import annotations

from pact import match

from contracts.messages.consumers import pricing_reads
from contracts.messages.examples import CUSTOMER_ID, FILE_ID, LINE_ID, SHA256, decimal, job_ref, one_of, uuid_
from contracts.messages.labels import labelled
from contracts.messages.pacts import check, expect
from system.kernel.messaging.catalogue import Material, Process

pytestmark = labelled("pricing", "workers read pricing requests")


def test_pricing_requested_is_priced_and_answered() -> None:
    line = {
        "line_id": uuid_(LINE_ID),
        "file_id": uuid_(FILE_ID),
        "sha256": match.regex(SHA256, regex=r"^[0-9a-f]{64}$"),
        "material": one_of(Material),
        "process": one_of(Process),
        "quantity": match.integer(3),
        "lead_time_days": match.integer(7),
    }
    request = {
        **job_ref(),
        "line": match.like(line),
        "customer_kind": match.regex("b2b", regex="^(b2c|b2b)$"),
        "contract_discount_pct": decimal("12.5"),
        "customer_id": uuid_(CUSTOMER_ID),
    }
    check(expect("pricing", "mes", "pricing.requested", request), pricing_reads.consume)
