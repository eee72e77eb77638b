"""A trace built from spans: roots, children, orphans, service edges, linked and asynchronous hops."""

from __future__ import annotations

from dataclasses import replace

from system.tracesink.model import Span, Trace
from tests.unit.tracesink.spans import ORDER_EDGES, broken_order_trace, order_spans, order_trace, sid, span


def names(spans: list[Span]) -> list[str]:
    return [s.label for s in spans]


def test_a_whole_order_has_one_root_no_orphans_and_every_edge() -> None:
    trace = order_trace()
    assert names(trace.roots()) == ["shop POST /orders"]
    assert trace.orphans() == []
    assert trace.edges() == ORDER_EDGES
    assert trace.services() == {"shop", "crm", "mes", "pricing"}
    assert names(trace.children(trace.by_id[sid(5)])) == ["mes mes.pricing publish"]


def test_the_pricing_job_is_a_linked_hop_from_the_message_that_started_it() -> None:
    [hop] = order_trace().linked_hops()
    assert (hop.source.label, hop.target.label, hop.via) == ("mes mes.pricing publish", "pricing pricing.job", "link")


def test_a_link_alone_makes_an_edge() -> None:
    """A job that starts a trace of its own but links to the message still shows where its work came from."""
    trace = Trace([span(1, "mes", "publish", kind="producer"), span(2, "pricing", "pricing.job", links=[1])])
    assert trace.edges() == {("mes", "pricing")}
    assert len(trace.roots()) == 2


def test_every_consumer_span_continues_a_producer_span() -> None:
    hops = {consumer.label: producer.label if producer else None for consumer, producer in order_trace().async_hops()}
    assert hops == {
        "mes mes.crm-events process": "crm crm.events publish",
        "pricing pricing.requests process": "mes mes.pricing publish",
        "mes mes.pricing-results process": "pricing pricing.events publish",
        "crm crm.mes-events process": "mes mes.events publish",
    }


def test_a_broken_trace_shows_its_orphan_and_loses_its_edges() -> None:
    trace = broken_order_trace()
    assert names(trace.orphans()) == ["crm POST /orders"]
    assert ORDER_EDGES - trace.edges() == {("shop", "crm"), ("mes", "crm")}
    assert dict((c.label, p) for c, p in trace.async_hops())["crm crm.mes-events process"] is None
    assert trace.linked_hops() == []


def test_rows_go_depth_first_and_keep_every_span_once() -> None:
    rows = broken_order_trace().rows()
    assert [(s.span_id, depth) for s, depth in rows][:2] == [(sid(1), 0), (sid(3), 0)], "the orphan starts a tree"
    assert sorted(s.span_id for s, _ in rows) == sorted(s.span_id for s in broken_order_trace().spans)
    cycle = Trace([span(1, "a", "x", parent=2), span(2, "a", "y", parent=1)])
    assert len(cycle.rows()) == 2 and cycle.roots() == [] and cycle.orphans() == []


def test_a_span_received_twice_counts_once() -> None:
    spans = order_spans()
    assert len(Trace([*spans, replace(spans[3])]).spans) == len(spans)


def test_spans_round_trip_through_json() -> None:
    for s in order_spans():
        assert Span.from_dict(s.to_dict()) == s


def test_the_summary_names_root_services_and_duration() -> None:
    summary = order_trace().summary()
    assert summary["root"] == "shop POST /orders" and summary["spans"] == 12
    assert summary["services"] == ["crm", "mes", "pricing", "shop"] and summary["duration_ms"] == 150.0
