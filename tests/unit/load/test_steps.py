"""The step search: each step's window, and the highest orders/s sustained within the SLO."""

from __future__ import annotations

from load.profiles import Slo
from load.steps import Counters, Window, diff, max_sustained

SLO = Slo(p95_ms=500, quote_p95_ms=5000, error_rate=0.01)


def window(users: int, orders_per_s: float, p95: float, quote: float | None = 1000, failures: int = 0) -> Window:
    return Window(users, 60, 1000, failures, round(orders_per_s * 60), p95, quote)


def test_diff_keeps_what_a_cumulative_histogram_gained() -> None:
    assert diff({10: 5, 20: 1}, {10: 7, 20: 1, 30: 2}) == {10: 2, 30: 2}


def test_a_window_is_the_difference_of_two_snapshots() -> None:
    start = Counters(100, 1, 10, {10: 100}, {400: 10})
    end = Counters(300, 3, 40, {10: 180, 600: 20}, {400: 20, 9000: 10})
    w = Window.between(20, 30.0, start, end)
    assert (w.requests, w.failures, w.orders) == (200, 2, 30)
    assert w.orders_per_s == 1.0 and w.error_rate == 0.01
    assert w.p95_ms == 600  # only this window's requests: 80 at 10 ms, 20 at 600 ms
    assert w.quote_p95_ms == 9000


def test_the_answer_is_the_best_step_before_the_slo_first_breaks() -> None:
    steps = [
        window(9, 1.0, 100),
        window(18, 2.0, 200),
        window(27, 2.8, 450),
        window(36, 3.1, 900),
        window(54, 3.5, 300),
    ]
    best = max_sustained(steps, SLO)
    assert best is not None and best.users == 27  # 54 users looked fine again, but the SLO had broken at 36


def test_each_part_of_the_slo_can_break_it() -> None:
    assert window(9, 1, 500).within(SLO)
    assert not window(9, 1, 501).within(SLO)
    assert not window(9, 1, 100, quote=5001).within(SLO)
    assert not window(9, 1, 100, quote=None).within(SLO)  # no order quoted in the step: not sustained
    assert not window(9, 1, 100, failures=11).within(SLO)
    assert not Window(9, 60, 0, 0, 0, 0, None).within(SLO)


def test_none_when_the_first_step_already_breaks_it() -> None:
    assert max_sustained([window(9, 1.0, 900), window(18, 2.0, 100)], SLO) is None
    assert max_sustained([], SLO) is None


def test_a_plateau_keeps_the_highest_throughput() -> None:
    best = max_sustained([window(9, 1.0, 100), window(18, 2.5, 200), window(27, 2.4, 300)], SLO)
    assert best is not None and best.users == 18
