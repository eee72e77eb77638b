"""Formatting for people: euros, discounts, durations, sizes and the order's journey."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from system.shop.schema import Order
from system.shop.views import duration_since, eur, file_size, percent, size_limit, state_label, steps, when


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("123.45", "€123.45"),
        ("1234.5", "€1,234.50"),
        (Decimal("1000000"), "€1,000,000.00"),
        ("0.005", "€0.01"),  # half up, as invoices round
        ("2.675", "€2.68"),  # exact decimal arithmetic, no float surprises
        ("-5", "\N{MINUS SIGN}€5.00"),
        (None, "—"),
        ("not a number", "—"),
    ],
)
def test_euros(value: Decimal | str | None, shown: str) -> None:
    assert eur(value) == shown


def test_percent_and_sizes() -> None:
    assert (percent("12.00"), percent("12.50"), percent("0.00"), percent(None)) == ("12%", "12.5%", "", "")
    assert (file_size(512), file_size(48_200), file_size(3_100_000)) == ("512 B", "48.2 KB", "3.1 MB")
    assert (size_limit(256 * 2**20), size_limit(2**20)) == ("256 MB", "1 MB")


def test_times() -> None:
    at = datetime(2026, 11, 5, 14, 3, tzinfo=UTC)
    assert when(at) == "5 Nov 2026, 14:03 UTC"
    assert duration_since(at, at + timedelta(seconds=42)) == "42 s"
    assert duration_since(at, at + timedelta(hours=3, minutes=5)) == "3 h 5 min"
    assert duration_since(at, at + timedelta(days=2, hours=4)) == "2 d 4 h"


def order(state: str) -> Order:
    at = datetime(2026, 11, 5, tzinfo=UTC)
    return Order(id="o", customer_id="c", state=state, created_at=at, updated_at=at)


def test_the_journey_marks_done_current_and_remaining_steps() -> None:
    assert steps(order("pricing"))[0] == ("Quote", "current")
    assert [s for _, s in steps(order("in_production"))] == ["done", "done", "current", "todo", "todo", "todo"]
    assert [s for _, s in steps(order("shipped"))][-2:] == ["done", "current"]
    assert [s for _, s in steps(order("delivered"))] == ["done"] * 6
    assert steps(order("cancelled")) == [] and steps(order("pricing_failed")) == []


def test_unknown_states_still_read_well() -> None:
    assert state_label("on_hold") == "On hold"
