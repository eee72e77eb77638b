"""A trace as a self-contained SVG waterfall: one row per span, bars on a common time axis, links as arrows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from system.tracesink.model import Span, Trace

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#ff9da7", "#bab0ac", "#e15759")
ERROR = "#d62728"
ROW, TOP, LABELS, BARS, INDENT, MAX_LABEL = 20, 56, 520, 680, 12, 80
WIDTH = LABELS + BARS + 20
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # characters XML 1.0 cannot carry at all


@dataclass(frozen=True)
class Layout:
    """Where a span's row and bar go."""

    t0: int
    total: int
    y_of: dict[str, int]
    spans: dict[str, Span]

    def x(self, ns: int) -> float:
        """The horizontal position of a moment of the trace."""
        return LABELS + (ns - self.t0) / self.total * BARS

    def middle(self, span_id: str) -> float:
        """The vertical middle of a span's row."""
        return self.y_of[span_id] + ROW / 2


def render(trace: Trace) -> str:
    """The SVG document (text) of `trace`'s waterfall."""
    rows = trace.rows()
    total = max(trace.end_ns - trace.start_ns, 1)
    at = Layout(trace.start_ns, total, {span.span_id: TOP + i * ROW for i, (span, _) in enumerate(rows)}, trace.by_id)
    colours = {service: PALETTE[i % len(PALETTE)] for i, service in enumerate(sorted(trace.services()))}
    orphans = {s.span_id for s in trace.orphans()}
    height = TOP + len(rows) * ROW + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}"'
        ' font-family="sans-serif" font-size="11">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6"'
        ' orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
        '<rect width="100%" height="100%" fill="white"/>',
        _text(8, 16, f"trace {trace.trace_id}: {len(rows)} spans, {_ms(total)}", 'font-weight="bold"'),
        *_legend(colours),
        *_axis(total, height),
        *(_row(span, depth, at, colours[span.service], span.span_id in orphans) for span, depth in rows),
        *(arrow for span, _ in rows for arrow in _links(span, at)),
        "</svg>",
    ]
    return "\n".join(parts)


def _row(span: Span, depth: int, at: Layout, colour: str, orphan: bool) -> str:
    left, right, y = at.x(span.start_ns), at.x(span.end_ns), at.y_of[span.span_id]
    label = f"{'⚠ orphan ' if orphan else ''}{span.service}: {span.name}"
    if len(label) > MAX_LABEL - depth:
        label = label[: MAX_LABEL - depth - 1] + "…"
    stroke = f' stroke="{ERROR}" stroke-width="2"' if span.status == "error" else ""
    details = [
        f"{span.label} ({span.kind}) {_ms(span.duration_ns)}",
        f"span {span.span_id}, parent {span.parent_span_id}",
    ]
    details += [f"{k} = {v}" for k, v in sorted(span.attributes.items())]
    details += [f"status: {span.status} {span.status_message}"] if span.status != "unset" else []
    return (
        f'<g class="span" data-span-id={quoteattr(span.span_id)} data-service={quoteattr(_clean(span.service))}>'
        f"<title>{_escape(chr(10).join(details))}</title>"
        + f'<text x="{8 + depth * INDENT}" y="{y + 14}"{f" fill={quoteattr(ERROR)}" if orphan else ""}>{_escape(label)}'
        f' <tspan fill="#777">{_ms(span.duration_ns)}</tspan></text>'
        + f'<rect x="{left:.1f}" y="{y + 4}" width="{max(right - left, 1.0):.1f}" height="{ROW - 8}"'
        f' rx="2" fill="{colour}"{stroke}/></g>'
    )


def _links(span: Span, at: Layout) -> list[str]:
    """An arrow from each linked span's row to the start of the bar of the span that links to it; a dot when the
    linked span is not in this trace."""
    x1, y1 = at.x(span.start_ns), at.middle(span.span_id)
    marks = []
    for link in span.links:
        if link.span_id in at.y_of:
            x0, y0 = at.x(at.spans[link.span_id].start_ns), at.middle(link.span_id)
            marks.append(
                f'<path class="link" d="M{x0:.1f},{y0} C{x0 - 30:.1f},{y1} {x1 - 30:.1f},{y1} {x1:.1f},{y1}"'
                ' fill="none" stroke="#555" stroke-dasharray="4 2" marker-end="url(#arrow)">'
                f"<title>link from span {link.span_id}</title></path>"
            )
        else:
            where = _escape(f"{link.trace_id}/{link.span_id}")
            marks.append(
                f'<circle class="link" cx="{x1:.1f}" cy="{y1}" r="3" fill="#555">'
                f"<title>link to {where} (not in this trace)</title></circle>"
            )
    return marks


def _legend(colours: dict[str, str]) -> list[str]:
    parts, left = [], 8
    for service, colour in colours.items():
        parts += [f'<rect x="{left}" y="24" width="10" height="10" fill="{colour}"/>', _text(left + 14, 33, service)]
        left += 24 + 7 * len(service)
    return parts


def _axis(total: int, height: int) -> list[str]:
    parts = []
    for i in range(5):
        x = LABELS + i * BARS / 4
        parts.append(f'<line x1="{x:.1f}" y1="{TOP - 8}" x2="{x:.1f}" y2="{height - 6}" stroke="#e5e5e5"/>')
        parts.append(_text(x - (36 if i == 4 else 0), TOP - 10, _ms(total * i // 4), 'fill="#777"'))
    return parts


def _text(x: float, y: float, content: str, extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" {extra}>{_escape(content)}</text>'


def _escape(text: str) -> str:
    return escape(_clean(text))


def _clean(text: str) -> str:
    return NOT_XML.sub("\ufffd", text)


def _ms(ns: int) -> str:
    return f"{ns / 1e6:.1f} ms"
