"""Spans written by hand for the model, shape and waterfall tests: one order's trace, whole or broken."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from system.tracesink.model import Link, Span, Trace

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
MS = 1_000_000
# The services an order's trace must cross, in the direction the work flows.
ORDER_EDGES = {("shop", "crm"), ("crm", "mes"), ("mes", "pricing"), ("pricing", "mes"), ("mes", "crm")}


def sid(n: int) -> str:
    """A span id: 16 hex digits, readable in the test's messages."""
    return f"{n:016x}"


def span(
    n: int,
    service: str,
    name: str,
    *,
    parent: int | None = None,
    kind: str = "internal",
    start_ms: float = 0,
    end_ms: float = 1,
    links: Iterable[int] = (),
    attributes: dict[str, Any] | None = None,
    status: str = "unset",
) -> Span:
    """Span number `n` of the trace TRACE_ID."""
    return Span(
        trace_id=TRACE_ID,
        span_id=sid(n),
        parent_span_id=sid(parent) if parent is not None else None,
        name=name,
        kind=kind,
        service=service,
        start_ns=int(1_700_000_000_000 * MS + start_ms * MS),
        end_ns=int(1_700_000_000_000 * MS + end_ms * MS),
        status=status,
        attributes=attributes or {},
        resource={"service.name": service},
        links=tuple(Link(TRACE_ID, sid(k)) for k in links),
    )


def order_spans() -> list[Span]:
    """A placed order's trace, Shop click to quote: HTTP, the outbox relay, RabbitMQ hops and a linked job."""
    order = {"order.id": "o-42"}
    return [
        span(1, "shop", "POST /orders", kind="server", end_ms=40),
        span(2, "shop", "POST", parent=1, kind="client", start_ms=1, end_ms=30),
        span(3, "crm", "POST /orders", parent=2, kind="server", start_ms=2, end_ms=29, attributes=order),
        span(4, "crm", "crm.events publish", parent=3, kind="producer", start_ms=31, end_ms=32),
        span(5, "mes", "mes.crm-events process", parent=4, kind="consumer", start_ms=33, end_ms=36, attributes=order),
        span(6, "mes", "mes.pricing publish", parent=5, kind="producer", start_ms=37, end_ms=38),
        span(7, "pricing", "pricing.requests process", parent=6, kind="consumer", start_ms=39, end_ms=140),
        span(8, "pricing", "pricing.job", parent=7, start_ms=40, end_ms=139, links=[6], attributes=order),
        span(9, "pricing", "pricing.events publish", parent=8, kind="producer", start_ms=130, end_ms=131),
        span(10, "mes", "mes.pricing-results process", parent=9, kind="consumer", start_ms=141, end_ms=145),
        span(11, "mes", "mes.events publish", parent=10, kind="producer", start_ms=146, end_ms=147),
        span(12, "crm", "crm.mes-events process", parent=11, kind="consumer", start_ms=148, end_ms=150),
    ]


def order_trace() -> Trace:
    """The whole order's trace."""
    return Trace(order_spans())


def broken_order_trace() -> Trace:
    """The order's trace with three faults: the Shop's client span was never exported, the pricing job lost its
    link, and the CRM's consumer span hangs off its own HTTP span instead of the MES's publish."""
    spans = {s.span_id: s for s in order_spans()}
    del spans[sid(2)]
    spans[sid(8)] = replace(spans[sid(8)], links=())
    spans[sid(12)] = replace(spans[sid(12)], parent_span_id=sid(3))
    return Trace(spans.values())
