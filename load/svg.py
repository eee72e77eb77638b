"""A tiny SVG line chart (no plotting library in the venv): latency and users over a run's time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

WIDTH, HEIGHT = 880, 360
LEFT, RIGHT, TOP, BOTTOM = 64, 290, 36, 44  # margins; the legend sits in the right one
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f")

Series = Mapping[str, Sequence[tuple[float, float]]]


def _ticks(top: float, count: int = 5) -> list[float]:
    return [top * i / count for i in range(count + 1)]


def _nice(value: float) -> float:
    """A round upper bound for an axis (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10 ** len(str(int(value))) / 10
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


def line_chart(series: Series, *, title: str, x_label: str, y_label: str) -> str:
    """An SVG document with one polyline per series (x, y points), axes with ticks, and a legend."""
    points = [p for line in series.values() for p in line]
    x_max = _nice(max((x for x, _ in points), default=1.0))
    y_max = _nice(max((y for _, y in points), default=1.0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def sx(x: float) -> float:
        return LEFT + x / x_max * plot_w

    def sy(y: float) -> float:
        return TOP + plot_h - y / y_max * plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif"'
        ' font-size="11">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{LEFT}" y="20" font-size="14">{escape(title)}</text>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" stroke="black"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="black"/>',
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 8}" text-anchor="middle">{escape(x_label)}</text>',
        f'<text x="14" y="{TOP + plot_h / 2}" text-anchor="middle" transform="rotate(-90 14 {TOP + plot_h / 2})">'
        f"{escape(y_label)}</text>",
    ]
    for t in _ticks(x_max):
        out.append(f'<text x="{sx(t):.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">{t:g}</text>')
    for t in _ticks(y_max):
        out.append(f'<line x1="{LEFT}" y1="{sy(t):.1f}" x2="{LEFT + plot_w}" y2="{sy(t):.1f}" stroke="#eee"/>')
        out.append(f'<text x="{LEFT - 6}" y="{sy(t) + 4:.1f}" text-anchor="end">{t:g}</text>')
    for i, (name, line) in enumerate(series.items()):
        colour = COLOURS[i % len(COLOURS)]
        coords = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in line)
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{coords}"/>')
        y = TOP + 14 * i + 6
        x = WIDTH - RIGHT + 12
        out.append(f'<line x1="{x}" y1="{y}" x2="{x + 18}" y2="{y}" stroke="{colour}" stroke-width="3"/>')
        out.append(f'<text x="{x + 22}" y="{y + 4}">{escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
