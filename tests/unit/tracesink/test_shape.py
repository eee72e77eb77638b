"""The shape check: silent on a whole order's trace, and a readable list of what is wrong on a broken one."""

from __future__ import annotations

import pytest

from system.tracesink.model import Trace
from system.tracesink.shape import assert_shape, check_shape, parse_edges
from tests.unit.tracesink.spans import ORDER_EDGES, broken_order_trace, order_trace, span

JOBS = ("pricing.job",)


def test_a_whole_order_has_the_expected_shape() -> None:
    assert check_shape(order_trace(), ORDER_EDGES, linked_jobs=JOBS, exact=True) == []


def test_a_broken_order_fails_with_one_readable_problem_per_fault() -> None:
    problems = check_shape(broken_order_trace(), ORDER_EDGES, linked_jobs=JOBS)
    assert problems == [
        "orphan span 'crm POST /orders' (parent 0000000000000002 not in trace)",
        "missing edge mes -> crm",
        "missing edge shop -> crm",
        "unlinked async hop: 'crm crm.mes-events process' continues no producer span"
        " (its parent is 'crm POST /orders')",
        "long job 'pricing pricing.job' carries no link to the message it started from",
    ]


def test_assert_shape_fails_the_test_with_every_problem_listed() -> None:
    with pytest.raises(AssertionError) as failure:
        assert_shape(broken_order_trace(), ORDER_EDGES, linked_jobs=JOBS)
    message = str(failure.value)
    print(message)  # what a failing flow test shows (pytest -s)
    assert message.startswith("trace 4bf92f3577b34da6a3ce929d0e0e4736 has the wrong shape (5 problems):")
    assert "\n  - missing edge shop -> crm\n" in message


def test_more_than_one_root_unexpected_edges_and_a_missing_job_are_problems() -> None:
    trace = Trace([span(1, "shop", "GET /", kind="server"), span(2, "crm", "GET /x", kind="server")])
    assert check_shape(trace, {("shop", "crm")}, linked_jobs=JOBS) == [
        "2 root spans, expected one: 'shop GET /', 'crm GET /x'",
        "missing edge shop -> crm",
        "no 'pricing.job' span in the trace",
    ]
    assert check_shape(order_trace(), {("shop", "crm")}, exact=True) == [
        "unexpected edge crm -> mes",
        "unexpected edge mes -> crm",
        "unexpected edge mes -> pricing",
        "unexpected edge pricing -> mes",
    ]
    assert check_shape(Trace([]), ORDER_EDGES) == ["the trace has no spans"]


def test_edges_can_be_written_as_text() -> None:
    assert parse_edges("shop -> crm, crm->mes,") == {("shop", "crm"), ("crm", "mes")}
    with pytest.raises(ValueError, match="not an edge: 'shop crm'"):
        parse_edges("shop crm")
