"""End-to-end latency from an order's own timeline: the `at` of its `pricing` entry to that of its `quoted` one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any


def _at(items: Iterable[Mapping[str, Any]], state: str) -> datetime | None:
    for item in items:
        if item.get("state") == state:
            return datetime.fromisoformat(str(item["at"]))
    return None


def placed_to_quoted_ms(items: Iterable[Mapping[str, Any]]) -> float | None:
    """Milliseconds from placed (the first `pricing` entry) to the first `quoted` entry; None until quoted."""
    entries = list(items)
    placed, quoted = _at(entries, "pricing"), _at(entries, "quoted")
    if placed is None or quoted is None:
        return None
    return (quoted - placed).total_seconds() * 1000
