"""placed -> quoted from an order's own timeline."""

from __future__ import annotations

from load.timeline import placed_to_quoted_ms


def entry(state: str, at: str) -> dict[str, str]:
    return {"state": state, "source": "crm", "at": at, "note": ""}


def test_from_the_pricing_entry_to_the_quoted_entry() -> None:
    items = [
        entry("pricing", "2026-11-29T10:00:00.100000+00:00"),
        entry("quoted", "2026-11-29T10:00:01.350000+00:00"),
        entry("confirmed", "2026-11-29T10:00:09+00:00"),
    ]
    assert placed_to_quoted_ms(items) == 1250.0


def test_the_first_quoted_entry_counts_and_order_of_items_does_not_matter() -> None:
    items = [
        entry("quoted", "2026-11-29T10:00:02+00:00"),
        entry("pricing", "2026-11-29T10:00:00+00:00"),
        entry("quoted", "2026-11-29T10:00:05+00:00"),
    ]
    assert placed_to_quoted_ms(items) == 2000.0


def test_offsets_are_honoured() -> None:
    items = [entry("pricing", "2026-11-29T10:00:00+00:00"), entry("quoted", "2026-11-29T11:00:00.5+01:00")]
    assert placed_to_quoted_ms(items) == 500.0


def test_none_until_quoted() -> None:
    assert placed_to_quoted_ms([entry("pricing", "2026-11-29T10:00:00+00:00")]) is None
    failed = [entry("pricing", "2026-11-29T10:00:00+00:00"), entry("pricing_failed", "2026-11-29T10:00:01+00:00")]
    assert placed_to_quoted_ms(failed) is None
    assert placed_to_quoted_ms([]) is None
