"""The figures of a run from a snapshot of Locust's stats."""

from __future__ import annotations

import pytest

from load.figures import QUOTE, QUOTE_NAME, Endpoint, figures, merge, percentile, slug


def test_percentile_by_nearest_rank() -> None:
    histogram = {10: 50, 20: 45, 300: 4, 900: 1}  # 100 samples
    assert percentile(histogram, 50) == 10
    assert percentile(histogram, 95) == 20
    assert percentile(histogram, 96) == 300
    assert percentile(histogram, 99) == 300
    assert percentile(histogram, 100) == 900
    assert percentile({}, 95) == 0


def test_merge_adds_counts() -> None:
    assert merge([{10: 1, 20: 2}, {20: 3}, {}]) == {10: 1, 20: 5}


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("POST /orders", "post_orders"),
        ("POST /orders/{id}/confirm", "post_orders_id_confirm"),
        ("GET /production-jobs?state=queued", "get_production_jobs_state_queued"),
        ("PUT s3:{presigned PUT URL}", "put_s3_presigned_put_url"),
        ("placed -> quoted", "placed_quoted"),
    ],
)
def test_slugs_are_metric_safe(label: str, expected: str) -> None:
    assert slug(label) == expected


def test_figures_of_a_run() -> None:
    entries = [
        Endpoint("/orders", "POST", 10, 1, {100: 9, 1000: 1}),
        Endpoint("/orders", "GET", 90, 0, {20: 90}),
        Endpoint(QUOTE_NAME, QUOTE, 8, 0, {400: 7, 2000: 1}),
    ]
    out = figures(entries, seconds=3.0)
    assert out["load.requests"] == 100 and out["load.failures"] == 1
    assert out["load.error_rate"] == 0.01
    assert out["load.p50_ms"] == 20 and out["load.p95_ms"] == 100 and out["load.p99_ms"] == 100
    assert out["load.post_orders.p99_ms"] == 1000 and out["load.post_orders.error_rate"] == 0.1
    assert out["load.get_orders.p95_ms"] == 20
    assert out["load.orders_per_s"] == 3.0  # 9 orders placed in 3 s
    assert out["load.quoted_orders"] == 8 and out["load.placed_to_quoted_p95_ms"] == 2000
    assert "load.placed_quoted.p95_ms" not in out  # the QUOTE stat is not an HTTP endpoint


def test_no_quote_figures_without_a_quoted_order() -> None:
    out = figures([Endpoint("/orders", "POST", 1, 0, {50: 1})], seconds=1.0)
    assert out["load.quoted_orders"] == 0
    assert not any(k.startswith("load.placed_to_quoted") for k in out)


def test_an_empty_run_has_figures_but_no_division_by_zero() -> None:
    out = figures([], seconds=0.0)
    assert out["load.error_rate"] == 0 and out["load.orders_per_s"] == 0 and out["load.requests_per_s"] == 0
