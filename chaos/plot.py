"""A timeline picture of an experiment (SVG, no plotting library): orders acknowledged and settled per second,
with the fault window shaded, so QA sees in the report when the fault hit and how the flow recovered."""

from __future__ import annotations

from collections import Counter
from html import escape

WIDTH, HEIGHT, PAD = 720, 240, 36


def timeline_svg(title: str, acked: list[float], settled: list[float], fault: tuple[float, float]) -> str:
    """Per-second counts of `acked` and `settled` (seconds since the start) and the `fault` window (same clock)."""
    end = max([*acked, *settled, fault[1], 1.0])
    seconds = int(end) + 1
    series = {"acknowledged/s": Counter(int(t) for t in acked), "settled/s": Counter(int(t) for t in settled)}
    peak = max([1, *(max(c.values(), default=0) for c in series.values())])

    def x(t: float) -> float:
        return PAD + (WIDTH - 2 * PAD) * t / seconds

    def y(v: float) -> float:
        return HEIGHT - PAD - (HEIGHT - 2 * PAD) * v / peak

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" '
        f'font-size="11"><title>{escape(title)}</title>',
        f'<rect x="{x(fault[0]):.1f}" y="{PAD}" width="{max(x(fault[1]) - x(fault[0]), 1):.1f}" '
        f'height="{HEIGHT - 2 * PAD}" fill="#f8d7da"><title>fault</title></rect>',
        f'<text x="{x(fault[0]):.1f}" y="{PAD - 6}" fill="#842029">fault</text>',
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#333"/>',
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{HEIGHT - PAD}" stroke="#333"/>',
        f'<text x="{PAD}" y="{HEIGHT - 8}">0 s</text><text x="{WIDTH - PAD - 30}" y="{HEIGHT - 8}">{seconds} s</text>',
        f'<text x="4" y="{PAD + 4}">{peak}</text><text x="{PAD + 4}" y="16">{escape(title)}</text>',
    ]
    for (name, counts), colour, row in zip(series.items(), ("#0d6efd", "#198754"), (0, 1), strict=True):
        points = " ".join(f"{x(s + 0.5):.1f},{y(counts.get(s, 0)):.1f}" for s in range(seconds))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{points}"/>')
        parts.append(f'<text x="{WIDTH - 150}" y="{18 + 14 * row}" fill="{colour}">{escape(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)
