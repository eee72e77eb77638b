"""The step search (pure): each step's window of the stats, and the highest orders/s sustained within the SLO."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from load.figures import percentile
from load.profiles import Slo


def diff(before: Mapping[int, int], after: Mapping[int, int]) -> dict[int, int]:
    """What a cumulative histogram gained between two snapshots."""
    return {k: n - before.get(k, 0) for k, n in after.items() if n - before.get(k, 0) > 0}


@dataclass(frozen=True)
class Counters:
    """A cumulative snapshot of the stats at one instant (what a step's window is the difference of)."""

    requests: int
    failures: int
    orders: int  # successful POST /orders
    latency: Mapping[int, int]  # every HTTP request
    quote: Mapping[int, int]  # placed -> quoted samples


@dataclass(frozen=True)
class Window:
    """One step: its users and length, and what happened in it."""

    users: int
    seconds: float
    requests: int
    failures: int
    orders: int
    p95_ms: float
    quote_p95_ms: float | None  # None: no order reached quoted within the step

    @classmethod
    def between(cls, users: int, seconds: float, start: Counters, end: Counters) -> Window:
        quotes = diff(start.quote, end.quote)
        return cls(
            users=users,
            seconds=seconds,
            requests=end.requests - start.requests,
            failures=end.failures - start.failures,
            orders=end.orders - start.orders,
            p95_ms=percentile(diff(start.latency, end.latency), 95),
            quote_p95_ms=percentile(quotes, 95) if quotes else None,
        )

    @property
    def orders_per_s(self) -> float:
        return self.orders / self.seconds if self.seconds > 0 else 0.0

    @property
    def error_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0

    def within(self, slo: Slo) -> bool:
        """True when the step held the SLO (a step whose orders were never quoted did not)."""
        return (
            self.requests > 0
            and self.p95_ms <= slo.p95_ms
            and self.error_rate <= slo.error_rate
            and self.quote_p95_ms is not None
            and self.quote_p95_ms <= slo.quote_p95_ms
        )

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "users": self.users,
            "seconds": round(self.seconds, 1),
            "orders_per_s": round(self.orders_per_s, 2),
            "p95_ms": self.p95_ms,
            "quote_p95_ms": self.quote_p95_ms,
            "error_rate": round(self.error_rate, 4),
        }


def max_sustained(windows: Iterable[Window], slo: Slo) -> Window | None:
    """The step with the most orders/s among those before the SLO first broke (None if the first step broke it)."""
    best: Window | None = None
    for window in windows:
        if not window.within(slo):
            break
        if best is None or window.orders_per_s > best.orders_per_s:
            best = window
    return best
