"""The waterfall picture: a valid SVG document, one row per span, bars on one time axis, links drawn, text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from system.tracesink.model import Trace
from system.tracesink.waterfall import LABELS, render
from tests.unit.tracesink.spans import broken_order_trace, order_spans, order_trace, sid, span

SVG = "{http://www.w3.org/2000/svg}"


def picture(trace: Trace) -> ET.Element:
    return ET.fromstring(render(trace))  # raises on anything that is not well-formed XML


def rows(svg: ET.Element) -> list[ET.Element]:
    return svg.findall(f"{SVG}g[@class='span']")


def label(row: ET.Element) -> str:
    """The text a reader sees on the row: service, name and duration."""
    text = row.find(f"{SVG}text")
    return "".join(text.itertext()) if text is not None else ""


def test_one_row_per_span_in_depth_first_order() -> None:
    svg = picture(order_trace())
    assert svg.tag == f"{SVG}svg"
    assert [g.get("data-span-id") for g in rows(svg)] == [sid(n) for n in range(1, 13)]
    labels = [label(g) for g in rows(svg)]
    assert labels[0] == "shop: POST /orders 40.0 ms"
    assert labels[7] == "pricing: pricing.job 99.0 ms"


def test_bars_are_indented_by_depth_and_scaled_to_the_trace() -> None:
    svg = picture(order_trace())
    first, job = rows(svg)[0], rows(svg)[7]
    assert float(job.find(f"{SVG}text").get("x")) > float(first.find(f"{SVG}text").get("x"))  # type: ignore[union-attr,arg-type]
    bar = first.find(f"{SVG}rect")
    assert bar is not None and float(bar.get("x", "-1")) == LABELS
    assert 180 < float(bar.get("width", "0")) < 185, "40 ms of a 150 ms trace over 680 px"


def test_services_have_colours_and_links_are_arrows() -> None:
    svg = picture(order_trace())
    fills = {g.get("data-service"): g.find(f"{SVG}rect").get("fill") for g in rows(svg)}  # type: ignore[union-attr]
    assert len(set(fills.values())) == 4
    [arrow] = svg.findall(f"{SVG}path[@class='link']")
    assert arrow.get("marker-end") == "url(#arrow)"
    outside = Trace([span(1, "pricing", "pricing.job", links=[99])])
    assert len(picture(outside).findall(f"{SVG}circle[@class='link']")) == 1, "a link out of the trace is a dot"


def test_orphans_and_errors_are_marked() -> None:
    svg = picture(broken_order_trace())
    orphan = next(g for g in rows(svg) if g.get("data-span-id") == sid(3))
    assert label(orphan) == "⚠ orphan crm: POST /orders 27.0 ms"
    failed = picture(Trace([span(1, "pricing", "pricing.job", status="error")]))
    assert rows(failed)[0].find(f"{SVG}rect").get("stroke") == "#d62728"  # type: ignore[union-attr]


def test_text_from_spans_is_escaped() -> None:
    nasty = '<script>alert("x")</script> & \x00'
    trace = Trace([*order_spans()[:1], span(2, "shop&co", nasty, parent=1, attributes={"q": "<b>"})])
    text = render(trace)
    assert "<script>" not in text
    svg = ET.fromstring(text)
    row = rows(svg)[1]
    assert row.get("data-service") == "shop&co"
    assert label(row) == 'shop&co: <script>alert("x")</script> & \ufffd 1.0 ms'
    assert "q = <b>" in (row.findtext(f"{SVG}title") or "")
