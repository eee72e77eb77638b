"""MES consumes the pricing workers' results and progress: each through MES's real aggregation use case."""

from __future__ import annotations

from pact import match

from contracts.messages.consumers import mes_reads
from contracts.messages.examples import LINE_ID, decimal, job_ref, text, uuid_
from contracts.messages.labels import labelled
from contracts.messages.pacts import check, expect

pytestmark = labelled("pricing", "MES reads pricing results")


def worker_says(type_: str, payload: dict[str, object]) -> None:
    check(expect("mes", "pricing", type_, payload), mes_reads.consume)


def test_pricing_completed_settles_the_job() -> None:
    worker_says(
        "pricing.completed",
        {
            **job_ref(),
            "line_id": uuid_(LINE_ID),
            "unit_price": decimal("4.20"),
            "total_price": decimal("12.60"),
            "breakdown": match.each_value_matches({"material": "1.20"}, rules=match.regex(regex=r"^-?\d+(\.\d+)?$")),
            "warnings": match.each_like("thin walls"),
        },
    )


def test_pricing_failed_fails_the_order_with_the_reason() -> None:
    worker_says("pricing.failed", {**job_ref(), "line_id": uuid_(LINE_ID), "reason": text("not watertight")})


def test_pricing_progress_is_recorded() -> None:
    worker_says("pricing.progress", {**job_ref(), "percent": match.number(40.0)})
