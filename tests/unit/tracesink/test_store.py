"""The bounded span store: grouping by trace, eviction of the quietest traces, search by attribute."""

from __future__ import annotations

from dataclasses import replace

import pytest

from system.tracesink.model import Span
from system.tracesink.store import SpanStore
from tests.unit.tracesink.spans import order_spans, span


def in_trace(trace_id: str, *spans: Span) -> list[Span]:
    return [replace(s, trace_id=trace_id) for s in spans]


def tid(n: int) -> str:
    return f"{n:032x}"


def test_spans_are_grouped_by_trace_and_a_duplicate_is_kept_once() -> None:
    store = SpanStore()
    spans = order_spans()
    store.add(spans[:5])
    store.add(spans[3:])  # an exporter's retry resends two of them
    trace = store.trace(spans[0].trace_id.upper())
    assert trace is not None and len(trace.spans) == 12 and len(store) == 12
    assert store.trace(tid(7)) is None


def test_the_traces_least_recently_added_to_are_evicted_first() -> None:
    store = SpanStore(max_spans=6)
    store.add(in_trace(tid(1), span(1, "a", "x"), span(2, "a", "y")))
    store.add(in_trace(tid(2), span(1, "a", "x"), span(2, "a", "y")))
    store.add(in_trace(tid(3), span(1, "a", "x"), span(2, "a", "y")))
    assert len(store) == 6
    # Trace 1 is the oldest but still receiving spans: the quietest, trace 2, makes room.
    store.add(in_trace(tid(1), span(3, "a", "z")))
    assert store.trace(tid(2)) is None
    assert [(t.trace_id, len(t.spans)) for t in store.recent()] == [(tid(1), 3), (tid(3), 2)]
    assert len(store) == 5


def test_a_trace_larger_than_the_store_keeps_its_newest_spans() -> None:
    store = SpanStore(max_spans=3)
    store.add(in_trace(tid(1), *(span(n, "a", f"s{n}") for n in range(1, 6))))
    trace = store.trace(tid(1))
    assert trace is not None and [s.name for s in trace.spans] == ["s3", "s4", "s5"] and len(store) == 3
    with pytest.raises(ValueError):
        SpanStore(max_spans=0)


def test_search_finds_traces_by_a_span_or_resource_attribute_newest_first() -> None:
    store = SpanStore()
    store.add(in_trace(tid(1), span(1, "crm", "POST /orders", attributes={"order.id": "o-1", "retry": True})))
    store.add(in_trace(tid(2), span(1, "mes", "process", attributes={"order.id": "o-1", "attempt": 2})))
    store.add(in_trace(tid(3), span(1, "crm", "POST /orders", attributes={"order.id": "o-2"})))
    assert [t.trace_id for t in store.search("order.id", "o-1")] == [tid(2), tid(1)]
    assert [t.trace_id for t in store.search("order.id", "o-1", limit=1)] == [tid(2)]
    assert [t.trace_id for t in store.search("attempt", "2")] == [tid(2)]
    assert [t.trace_id for t in store.search("retry", "true")] == [tid(1)]
    assert [t.trace_id for t in store.search("service.name", "crm")] == [tid(3), tid(1)]
    assert store.search("order.id", "o-9") == []
