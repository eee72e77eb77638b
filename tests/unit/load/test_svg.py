"""The tiny SVG line chart."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from load.svg import line_chart

NS = "{http://www.w3.org/2000/svg}"


def test_a_chart_is_valid_svg_with_one_line_and_legend_entry_per_series() -> None:
    svg = line_chart(
        {"POST /orders": [(0, 10), (5, 250), (10, 90)], "GET /orders/{id}": [(0, 5), (10, 7)]},
        title="p95 <latency>",
        x_label="seconds",
        y_label="ms",
    )
    root = ET.fromstring(svg)
    lines = root.findall(f"{NS}polyline")
    assert len(lines) == 2
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert "POST /orders" in texts and "GET /orders/{id}" in texts and "p95 <latency>" in texts  # escaped, read back
    assert "250" in texts and "50" in texts and "300" not in texts  # the y axis ends at 250, ticks every 50


def test_points_are_inside_the_plot_area() -> None:
    root = ET.fromstring(line_chart({"a": [(0, 0), (23, 980)]}, title="t", x_label="x", y_label="y"))
    line = root.find(f"{NS}polyline")
    assert line is not None
    coords = [tuple(map(float, p.split(","))) for p in line.get("points", "").split()]
    width, height = float(root.get("width", 0)), float(root.get("height", 0))
    assert all(0 < x < width and 0 < y < height for x, y in coords)
    assert coords[0][1] > coords[1][1]  # larger values are drawn higher up


def test_an_empty_chart_still_renders() -> None:
    root = ET.fromstring(line_chart({}, title="nothing yet", x_label="x", y_label="y"))
    assert root.findall(f"{NS}polyline") == []
