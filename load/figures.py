"""The figures of a load run, computed from a snapshot of Locust's stats (pure: no Locust import here)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

QUOTE = "QUOTE"  # the request type of the placed -> quoted samples (not an HTTP request)
QUOTE_NAME = "placed -> quoted"
ORDERS = ("POST", "/orders")


@dataclass(frozen=True)
class Endpoint:
    """One Locust stats entry: a request name (route template) and method, with its latency histogram."""

    name: str
    method: str
    requests: int
    failures: int
    histogram: Mapping[int, int] = field(default_factory=dict)  # response time (ms, as Locust rounds it) -> count

    @property
    def label(self) -> str:
        return self.name if self.method == QUOTE else f"{self.method} {self.name}"

    @property
    def error_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0

    def percentile(self, q: float) -> float:
        return percentile(self.histogram, q)


def percentile(histogram: Mapping[int, int], q: float) -> float:
    """The q-th percentile (0-100) of a histogram, by nearest rank (0 when empty)."""
    total = sum(histogram.values())
    if total == 0:
        return 0.0
    rank = max(1, math.ceil(q / 100 * total))  # nearest rank: the smallest value with >= q % at or below it
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return float(value)
    return float(max(histogram))


def merge(histograms: Iterable[Mapping[int, int]]) -> dict[int, int]:
    """The sum of several histograms."""
    merged: dict[int, int] = {}
    for histogram in histograms:
        for value, count in histogram.items():
            merged[value] = merged.get(value, 0) + count
    return merged


def slug(label: str) -> str:
    """A metric-safe name for a request: `POST /orders/{id}/confirm` -> `post_orders_id_confirm`."""
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


def figures(endpoints: Iterable[Endpoint], seconds: float) -> dict[str, float]:
    """Every figure the suite records: totals over the HTTP requests, per endpoint, placed -> quoted, orders/s."""
    entries = list(endpoints)
    http = [e for e in entries if e.method != QUOTE]
    quote = [e for e in entries if e.method == QUOTE]
    requests, failures = sum(e.requests for e in http), sum(e.failures for e in http)
    total = merge(e.histogram for e in http)
    out = {
        "load.requests": float(requests),
        "load.failures": float(failures),
        "load.error_rate": failures / requests if requests else 0.0,
        "load.p50_ms": percentile(total, 50),
        "load.p95_ms": percentile(total, 95),
        "load.p99_ms": percentile(total, 99),
        "load.requests_per_s": requests / seconds if seconds > 0 else 0.0,
        "load.duration_s": seconds,
    }
    for e in http:
        key = f"load.{slug(e.label)}"
        out |= {f"{key}.p50_ms": e.percentile(50), f"{key}.p95_ms": e.percentile(95), f"{key}.p99_ms": e.percentile(99)}
        out |= {f"{key}.error_rate": e.error_rate, f"{key}.requests": float(e.requests)}
    quoted = merge(e.histogram for e in quote)
    out["load.quoted_orders"] = float(sum(e.requests - e.failures for e in quote))
    out["load.quote_failures"] = float(sum(e.failures for e in quote))
    if out["load.quoted_orders"]:
        out |= {f"load.placed_to_quoted_p{q}_ms": percentile(quoted, q) for q in (50, 95, 99)}
    placed = sum(e.requests - e.failures for e in http if (e.method, e.name) == ORDERS)
    out["load.orders_per_s"] = placed / seconds if seconds > 0 else 0.0
    return out
