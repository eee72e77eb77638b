"""From a run's summary and CSVs to Allure results (one per endpoint, one for the run) and metrics.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from load import report
from pipelines import metrics
from pipelines.allure import AllureWriter
from pipelines.results import read_outcomes

HISTORY = """Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%
1000,0,,Aggregated,0,0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A
1001,3,POST,/orders,1.0,0,0,0,0,0,0,0,0,0,0,0,0
1002,3,POST,/orders,1.0,0,80,90,90,90,100,120,120,120,120,120,120
1002,3,,Aggregated,5.0,0,20,30,30,30,40,90,90,90,90,90,90
1003,3,QUOTE,placed -> quoted,0.5,0,400,400,400,400,400,700,700,700,700,700,700
"""


def verdict(metric: str, op: str, limit: float, measured: float | None) -> dict[str, Any]:
    passed = measured is not None and (measured <= limit if op == "max" else measured >= limit)
    return {"metric": metric, "op": op, "limit": limit, "description": "", "measured": measured, "passed": passed}


def summary() -> dict[str, Any]:
    endpoint = {"requests": 10, "failures": 0, "p50_ms": 80.0, "p95_ms": 120.0, "p99_ms": 130.0}
    return {
        "profile": "release",
        "seconds": 3.0,
        "endpoints": [
            {"label": "POST /orders", "name": "/orders", "method": "POST", **endpoint},
            {"label": "GET /orders", "name": "/orders", "method": "GET", **endpoint},
            {"label": "placed -> quoted", "name": "placed -> quoted", "method": "QUOTE", **endpoint},
        ],
        "errors": [],
        "figures": {"load.p95_ms": 120.0, "load.post_orders.p95_ms": 120.0, "load.error_rate": 0.0},
        "thresholds": [
            verdict("load.post_orders.p95_ms", "max", 100, 120.0),
            verdict("load.placed_to_quoted_p95_ms", "max", 5000, 700.0),
            verdict("load.p95_ms", "max", 800, 120.0),
            verdict("load.get_orders_id.p95_ms", "max", 800, None),
        ],
        "steps": [],
    }


def test_history_groups_rows_per_label_with_seconds_since_the_start(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text(HISTORY)
    rows = report.history(path)
    assert set(rows) == {"Aggregated", "POST /orders", "placed -> quoted"}
    assert report.series(rows["POST /orders"], "95%") == [(1.0, 0.0), (2.0, 120.0)]
    assert report.series(rows["POST /orders"], "95%", zero_is_gap=True) == [(2.0, 120.0)]
    assert report.series(rows["Aggregated"], "95%") == [(2.0, 90.0)]  # N/A is no point
    assert report.history(tmp_path / "missing.csv") == {}


def test_one_result_per_endpoint_and_one_for_the_run_each_judged_by_its_own_thresholds(tmp_path: Path) -> None:
    files = report.Artifacts(tmp_path / "load")
    files.folder.mkdir()
    files.csv("stats_history").write_text(HISTORY)
    files.csv("stats").write_text("Type,Name\n")
    files.html.write_text("<html></html>")
    results = tmp_path / "results"
    report.write(summary(), files, AllureWriter(results, "load"), started=0.0)
    outcomes = {o.name: o for o in read_outcomes(results)}
    assert set(outcomes) == {"POST /orders", "GET /orders", "placed -> quoted", "load profile release"}
    assert (
        outcomes["POST /orders"].status == "failed"
        and "load.post_orders.p95_ms = 120" in outcomes["POST /orders"].message
    )
    assert outcomes["GET /orders"].status == "passed"
    assert outcomes["placed -> quoted"].status == "passed"
    # a threshold on an endpoint that never ran is not lost: the run's result fails on it
    assert outcomes["load profile release"].status == "failed"
    assert "load.get_orders_id.p95_ms = not measured" in outcomes["load profile release"].message

    run = next(json.loads(p.read_text()) for p in results.glob("*-result.json") if "load profile" in p.read_text())
    attached = {a["name"] for a in run["attachments"]}
    assert {"locust-report.html", "locust_stats.csv", "locust_stats_history.csv"} <= attached
    assert {"latency-p95-over-time.svg", "placed-to-quoted-over-time.svg", "users-and-throughput.svg"} <= attached
    orders = next(json.loads(p.read_text()) for p in results.glob("*-result.json") if '"POST /orders"' in p.read_text())
    params = {p["name"]: p["value"] for p in orders["parameters"]}
    assert params["p95 ms"] == "120.0" and params["p99 ms"] == "130.0" and params["error rate"] == "0.0"


def test_every_figure_goes_to_metrics_json(tmp_path: Path) -> None:
    path = report.record(summary(), tmp_path / "metrics.json")
    assert metrics.read(path) == summary()["figures"]
