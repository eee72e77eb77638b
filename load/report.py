"""From a finished Locust run to the gate's inputs: Allure results (one per endpoint, one for the run, with the
CSVs, the HTML report and latency plots attached) and figures in metrics.json."""

from __future__ import annotations

import csv
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from load.figures import QUOTE_NAME, slug
from load.svg import line_chart
from pipelines import metrics
from pipelines.allure import AllureWriter

# Endpoints drawn on the latency-over-time plot (all of them would be unreadable); every one has its result.
PLOTTED = (
    "POST /orders",
    "GET /orders",
    "GET /orders/{id}",
    "POST /files/uploads",
    "PUT s3:{presigned PUT URL}",
    "POST /files/uploads/{id}/complete",
    "GET /production-jobs?state=queued",
)


@dataclass(frozen=True)
class Artifacts:
    """The files one Locust run wrote."""

    folder: Path

    @property
    def prefix(self) -> Path:
        return self.folder / "locust"

    @property
    def html(self) -> Path:
        return self.folder / "locust.html"

    @property
    def summary(self) -> Path:
        return self.folder / "summary.json"

    @property
    def log(self) -> Path:
        return self.folder / "locust.log"

    def csv(self, kind: str) -> Path:
        return self.folder / f"locust_{kind}.csv"


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None  # "N/A" before the first sample


def history(path: Path) -> dict[str, list[tuple[float, Mapping[str, str]]]]:
    """The rows of Locust's `_stats_history.csv` per request label ("Aggregated" for the total), with the
    seconds since the first row."""
    rows = list(csv.DictReader(path.open())) if path.is_file() else []
    if not rows:
        return {}
    start = min(float(r["Timestamp"]) for r in rows)
    out: dict[str, list[tuple[float, Mapping[str, str]]]] = {}
    for row in rows:
        label = row["Name"] if row["Type"] in ("", "QUOTE") else f"{row['Type']} {row['Name']}"
        out.setdefault(label, []).append((float(row["Timestamp"]) - start, row))
    return out


def series(
    rows: Iterable[tuple[float, Mapping[str, str]]], column: str, zero_is_gap: bool = False
) -> list[tuple[float, float]]:
    """(seconds, value) of one column, skipping rows without a value (Locust writes a 0 percentile for a
    window without requests: with `zero_is_gap` those are skipped too)."""
    return [(t, v) for t, row in rows if (v := _number(row.get(column, ""))) is not None and (v or not zero_is_gap)]


def plots(rows: Mapping[str, list[tuple[float, Mapping[str, str]]]]) -> dict[str, str]:
    """SVG documents: p95 per main endpoint, placed -> quoted p95, users and requests/s, over the run."""
    latency = {
        label: series(rows[label], "95%", zero_is_gap=True) for label in ("Aggregated", *PLOTTED) if label in rows
    }
    charts = {
        "latency-p95-over-time.svg": line_chart(
            latency, title="p95 latency over the run (10 s window)", x_label="seconds", y_label="ms"
        )
    }
    if QUOTE_NAME in rows:
        quote = {q: series(rows[QUOTE_NAME], f"{q[1:]}%", zero_is_gap=True) for q in ("p50", "p95")}
        charts["placed-to-quoted-over-time.svg"] = line_chart(
            quote, title="placed -> quoted (order timelines, 10 s window)", x_label="seconds", y_label="ms"
        )
    if "Aggregated" in rows:
        load = {
            "users": series(rows["Aggregated"], "User Count"),
            "requests/s": series(rows["Aggregated"], "Requests/s"),
        }
        charts["users-and-throughput.svg"] = line_chart(
            load, title="users and requests/s", x_label="seconds", y_label=""
        )
    return charts


def _owner(metric: str, labels: Iterable[str]) -> str | None:
    """The endpoint a threshold belongs to (`load.post_orders.p95_ms` -> `POST /orders`), if any."""
    for label in labels:
        if metric.startswith(f"load.{slug(label)}."):
            return label
    if metric.startswith("load.placed_to_quoted"):
        return QUOTE_NAME
    return None


def _verdict_text(v: Mapping[str, Any]) -> str:
    got = "not measured" if v["measured"] is None else f"{v['measured']:g}"
    op = "≤" if v["op"] == "max" else "≥"
    return f"{v['metric']} = {got} (required {op} {v['limit']:g})"


def write(summary: Mapping[str, Any], files: Artifacts, writer: AllureWriter, started: float) -> list[Path]:
    """One Allure result per endpoint and one for the whole run; return the result files."""
    stop = time.time()
    endpoints = summary["endpoints"]
    labels = [e["label"] for e in endpoints]
    owned: dict[str | None, list[Mapping[str, Any]]] = {}
    for verdict in summary["thresholds"]:
        owned.setdefault(_owner(verdict["metric"], labels), []).append(verdict)
    profile = summary["profile"]
    written = []
    charts = plots(history(files.csv("stats_history")))
    for e in endpoints:
        mine = owned.get(e["label"], [])
        failed = [v for v in mine if not v["passed"]]
        rate = e["failures"] / e["requests"] if e["requests"] else 0.0
        written.append(
            writer.test(
                e["label"],
                "failed" if failed else "passed",
                full_name=f"load.{profile}.{slug(e['label'])}",
                message="; ".join(_verdict_text(v) for v in failed),
                parameters={"profile": profile, **{f"threshold {v['metric']}": _verdict_text(v) for v in mine}},
                measurements={
                    "requests": e["requests"],
                    "failures": e["failures"],
                    "error rate": round(rate, 5),
                    "p50 ms": e["p50_ms"],
                    "p95 ms": e["p95_ms"],
                    "p99 ms": e["p99_ms"],
                },
                start=started,
                stop=stop,
            )
        )
    general = owned.get(None, [])
    failed = [v for v in general if not v["passed"]]
    figures = summary["figures"]
    attachments: dict[str, Path | str | bytes] = {name: body for name, body in charts.items()}
    for name in ("stats", "failures", "exceptions", "stats_history"):
        if files.csv(name).is_file():
            attachments[f"locust_{name}.csv"] = files.csv(name)
    for name, path in (("locust-report.html", files.html), ("summary.json", files.summary), ("locust.log", files.log)):
        if path.is_file():
            attachments[name] = path
    errors = "\n".join(f"{e['occurrences']} x {e['label']}: {e['error']}" for e in summary["errors"])
    steps = "\n".join(str(s) for s in summary["steps"])
    written.append(
        writer.test(
            f"load profile {profile}",
            "failed" if failed else "passed",
            full_name=f"load.{profile}.run",
            message="; ".join(_verdict_text(v) for v in failed),
            trace="\n".join(filter(None, [errors and f"request failures:\n{errors}", steps and f"steps:\n{steps}"])),
            parameters={
                "profile": profile,
                "traced requests": f"{summary.get('trace_ratio', 1.0):.0%}",
                **{f"threshold {v['metric']}": _verdict_text(v) for v in general},
            },
            measurements={
                k: round(figures[k], 4)
                for k in (
                    "load.requests",
                    "load.error_rate",
                    "load.p50_ms",
                    "load.p95_ms",
                    "load.p99_ms",
                    "load.orders_per_s",
                    "load.quoted_orders",
                    "load.placed_to_quoted_p95_ms",
                    "load.max_sustained_orders_per_s",
                    "load.duration_s",
                )
                if k in figures
            },
            attachments=attachments,
            start=started,
            stop=stop,
        )
    )
    return written


def record(summary: Mapping[str, Any], path: Path | None) -> Path:
    """Every figure of the run into metrics.json."""
    return metrics.record(summary["figures"], path)
