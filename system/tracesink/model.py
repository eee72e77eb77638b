"""Spans and the trace they form: roots, children, orphans, the service-to-service edges and the linked hops."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Attributes = Mapping[str, Any]  # JSON values: str, bool, int, float, lists and dicts of them


@dataclass(frozen=True, slots=True)
class Link:
    """A span link: the span context (ids as lowercase hex) a span was caused by without being its child."""

    trace_id: str
    span_id: str


@dataclass(frozen=True, slots=True)
class Span:
    """One finished span as an OTLP exporter sent it; ids are lowercase hex, times are Unix nanoseconds."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: str  # server, client, producer, consumer, internal or unspecified
    service: str
    start_ns: int
    end_ns: int
    status: str = "unset"  # unset, ok or error
    status_message: str = ""
    attributes: Attributes = field(default_factory=dict)
    resource: Attributes = field(default_factory=dict)
    links: tuple[Link, ...] = ()

    @property
    def label(self) -> str:
        """How problems and pictures name the span: its service and its name."""
        return f"{self.service} {self.name}"

    @property
    def duration_ns(self) -> int:
        """How long the span lasted (never negative, whatever the clocks said)."""
        return max(0, self.end_ns - self.start_ns)

    def to_dict(self) -> dict[str, Any]:
        """The span as JSON-ready values (the sink's API answers with these)."""
        return {
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "parent_span_id": self.parent_span_id,
            "name": self.name,
            "kind": self.kind,
            "service": self.service,
            "start_ns": self.start_ns,
            "end_ns": self.end_ns,
            "status": self.status,
            "status_message": self.status_message,
            "attributes": dict(self.attributes),
            "resource": dict(self.resource),
            "links": [{"trace_id": link.trace_id, "span_id": link.span_id} for link in self.links],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Span:
        """The span `to_dict` described (a test reads a trace back from the sink's API with this)."""
        links = tuple(Link(str(link["trace_id"]), str(link["span_id"])) for link in data.get("links", ()))
        fields = {k: data[k] for k in cls.__dataclass_fields__ if k in data and k != "links"}
        return cls(**fields, links=links)


@dataclass(frozen=True)
class Hop:
    """A causal step between two spans: `target` is a child of `source` (via parent) or links to it (via link)."""

    source: Span
    target: Span
    via: Literal["parent", "link"]


class Trace:
    """The spans of one trace, with the questions a shape check asks of them."""

    def __init__(self, spans: Iterable[Span]) -> None:
        unique = {s.span_id: s for s in spans}  # an exporter's retry may deliver a span twice
        self.spans = sorted(unique.values(), key=lambda s: (s.start_ns, s.span_id))
        self.by_id = {s.span_id: s for s in self.spans}
        self._children: dict[str, list[Span]] = {}
        for span in self.spans:
            if span.parent_span_id is not None:
                self._children.setdefault(span.parent_span_id, []).append(span)

    @property
    def trace_id(self) -> str:
        """The trace's id ('' for an empty trace)."""
        return self.spans[0].trace_id if self.spans else ""

    @property
    def start_ns(self) -> int:
        """When the earliest span started."""
        return min((s.start_ns for s in self.spans), default=0)

    @property
    def end_ns(self) -> int:
        """When the last span ended."""
        return max((s.end_ns for s in self.spans), default=0)

    def roots(self) -> list[Span]:
        """Spans without a parent: a whole trace has exactly one."""
        return [s for s in self.spans if s.parent_span_id is None]

    def children(self, span: Span) -> list[Span]:
        """The spans whose parent is `span`, earliest first."""
        return list(self._children.get(span.span_id, ()))

    def parent(self, span: Span) -> Span | None:
        """The parent span, if it is in the trace."""
        return self.by_id.get(span.parent_span_id) if span.parent_span_id else None

    def orphans(self) -> list[Span]:
        """Spans whose parent is missing from the trace (a service that did not export, or a broken context)."""
        return [s for s in self.spans if s.parent_span_id is not None and s.parent_span_id not in self.by_id]

    def services(self) -> set[str]:
        """Every service that contributed a span."""
        return {s.service for s in self.spans}

    def hops(self) -> list[Hop]:
        """Every parent->child and linked->linking step between spans of this trace."""
        found = [Hop(parent, s, "parent") for s in self.spans if (parent := self.parent(s)) is not None]
        return found + self.linked_hops()

    def linked_hops(self) -> list[Hop]:
        """The steps made by span links whose target is in this trace (e.g. a message -> the long job it started)."""
        return [Hop(self.by_id[k.span_id], s, "link") for s in self.spans for k in s.links if k.span_id in self.by_id]

    def edges(self) -> set[tuple[str, str]]:
        """(from service, to service) for every hop that crosses from one service to another."""
        return {(h.source.service, h.target.service) for h in self.hops() if h.source.service != h.target.service}

    def async_hops(self) -> list[tuple[Span, Span | None]]:
        """Each consumer span with the producer span it continues (as parent or link), None when it continues none."""
        producers = {h.target.span_id: h.source for h in self.hops() if h.source.kind == "producer"}
        return [(s, producers.get(s.span_id)) for s in self.spans if s.kind == "consumer"]

    def rows(self) -> list[tuple[Span, int]]:
        """Every span with its depth, depth first from the roots (orphans start a tree of their own)."""
        out: list[tuple[Span, int]] = []
        stack = [(s, 0) for s in reversed(self.roots() + self.orphans())]
        while stack:
            span, depth = stack.pop()
            out.append((span, depth))
            stack.extend((child, depth + 1) for child in reversed(self.children(span)))
        seen = {s.span_id for s, _ in out}
        return out + [(s, 0) for s in self.spans if s.span_id not in seen]  # parent cycles: still one row each

    def summary(self) -> dict[str, Any]:
        """A short description for listings: size, services, root and duration."""
        roots = self.roots() or self.spans[:1]
        return {
            "trace_id": self.trace_id,
            "spans": len(self.spans),
            "services": sorted(self.services()),
            "root": roots[0].label if roots else "",
            "start_ns": self.start_ns,
            "duration_ms": round((self.end_ns - self.start_ns) / 1e6, 3),
        }
