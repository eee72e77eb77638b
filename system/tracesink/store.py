"""A bounded in-memory span store: the traces least recently added to are evicted first."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable

from system.tracesink.model import Span, Trace

DEFAULT_MAX_SPANS = 200_000


class SpanStore:
    """Spans grouped by trace, at most `max_spans` of them; safe to share between threads."""

    def __init__(self, max_spans: int = DEFAULT_MAX_SPANS) -> None:
        if max_spans < 1:
            raise ValueError("max_spans must be at least 1")
        self.max_spans = max_spans
        # trace id -> span id -> span; the order is that of the last span received, oldest first, so a trace
        # still receiving spans (a long order) outlives the quiet ones.
        self._traces: OrderedDict[str, dict[str, Span]] = OrderedDict()
        self._count = 0
        self._lock = threading.Lock()  # handlers may run in the event loop and in the thread pool

    def add(self, spans: Iterable[Span]) -> None:
        """Keep `spans` (a span received twice is kept once), evicting old traces beyond the bound."""
        with self._lock:
            for span in spans:
                trace = self._traces.setdefault(span.trace_id, {})
                self._count += span.span_id not in trace
                trace[span.span_id] = span
                self._traces.move_to_end(span.trace_id)
            self._evict()

    def _evict(self) -> None:
        while self._count > self.max_spans and len(self._traces) > 1:
            _, evicted = self._traces.popitem(last=False)
            self._count -= len(evicted)
        if self._count > self.max_spans:  # one trace larger than the whole store: keep its newest spans
            [trace] = self._traces.values()
            for span_id in list(trace)[: self._count - self.max_spans]:
                del trace[span_id]
            self._count = len(trace)

    def trace(self, trace_id: str) -> Trace | None:
        """The trace with this id (lowercase hex), or None if it is unknown or was evicted."""
        with self._lock:
            spans = list(self._traces.get(trace_id.lower(), {}).values())
        return Trace(spans) if spans else None

    def search(self, attribute: str, value: str, limit: int = 20) -> list[Trace]:
        """Traces with a span whose attribute (or resource attribute) `attribute` reads `value`, newest first."""
        found = []
        for spans in self._newest_first():
            if any(
                _reads(s.attributes.get(attribute), value) or _reads(s.resource.get(attribute), value) for s in spans
            ):
                found.append(Trace(spans))
                if len(found) >= limit:
                    break
        return found

    def recent(self, limit: int = 20) -> list[Trace]:
        """The traces most recently added to, newest first."""
        return [Trace(spans) for spans, _ in zip(self._newest_first(), range(limit), strict=False)]

    def _newest_first(self) -> Iterable[list[Span]]:
        with self._lock:  # a snapshot: scanning must not hold up the exporters
            snapshot = [list(trace.values()) for trace in reversed(self._traces.values())]
        return snapshot

    def __len__(self) -> int:
        return self._count

    @property
    def trace_count(self) -> int:
        """How many traces are held."""
        return len(self._traces)


def _reads(attribute: object, value: str) -> bool:
    # Attributes keep their OTLP types; a query string is text, so compare as text (True reads "true").
    if attribute is None:
        return False
    if isinstance(attribute, bool):
        return str(attribute).lower() == value.lower()
    return str(attribute) == value
