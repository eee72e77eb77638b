"""The load suite on the running stack, through the code `qa run load` uses (pipelines.runner.run_suite): a
short smoke run that must write its results and figures with no failed request and quoted orders, and a run
with an impossible threshold, in distributed mode, that must end with exit code 1 and say why.

No assertion here is about the system's latency: the figures are the gate's business, not the tests'.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipelines import metrics
from pipelines.policy import SuiteFacts
from pipelines.results import read_outcomes
from pipelines.runner import RunContext, run_suite
from pipelines.suites import BUILTIN, Suite
from system.stack.stack import Stack

pytestmark = pytest.mark.slow


class Quiet:
    """Runner events nobody needs to see."""

    def stage(self, message: str) -> None: ...

    def suite_started(self, suite: Suite) -> None: ...

    def suite_progress(self, suite: Suite, results: int) -> None: ...

    def suite_finished(self, suite: Suite, facts: SuiteFacts) -> None: ...


def run_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **env: str) -> tuple[RunContext, SuiteFacts]:
    for name in ("LOAD_PROFILE", "LOAD_PROCESSES", "LOAD_THRESHOLDS", "QA_TARGET"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    ctx = RunContext(run_id="load-test", run_dir=tmp_path / "run", profile="pr")  # pr -> the smoke profile
    return ctx, run_suite(BUILTIN["load"], ctx, Quiet())


def results(ctx: RunContext) -> dict[str, dict[str, Any]]:
    found = [json.loads(p.read_text()) for p in ctx.results_dir.glob("*-result.json")]
    return {r["name"]: r for r in found}


def test_smoke_run_writes_results_and_figures_with_no_failed_request(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx, facts = run_load(tmp_path, monkeypatch, LOAD_USERS="9", LOAD_RUN_TIME="25")
    log = (ctx.logs_dir / "load.log").read_text()
    assert facts.exit_code == 0, log[-3000:]
    figures = metrics.read(ctx.metrics_file)
    assert figures["load.failures"] == 0 and figures["load.quote_failures"] == 0, log[-3000:]
    assert figures["load.error_rate"] == 0
    # Every order placed went all the way through pricing and was measured, those still pricing when the run
    # time ran out included (users finish the order they follow: the stop timeout).
    assert figures["load.quoted_orders"] == figures["load.post_orders.requests"] >= 3
    assert figures["load.orders_per_s"] > 0
    for name in ("load.p95_ms", "load.placed_to_quoted_p95_ms", "load.post_orders.p95_ms", "load.post_orders.p99_ms"):
        assert figures[name] > 0, name

    written = results(ctx)
    every_flow = {
        "POST /auth/login", "POST /files/uploads", "PUT s3:{presigned PUT URL}", "POST /files/uploads/{id}/complete",
        "POST /orders", "GET /orders/{id}", "GET /orders/{id}/timeline", "GET /orders",
        "GET /production-jobs?state=queued", "placed -> quoted", "load profile smoke",
    }  # fmt: skip
    assert every_flow <= set(written), sorted(written)
    assert all(r["status"] == "passed" for r in written.values())
    assert facts.summary.executed == len(written) and facts.summary.passed == len(written)  # the gate read them
    assert {o.suite for o in read_outcomes(ctx.results_dir)} == {"load"}
    run = written["load profile smoke"]
    attached = {a["name"]: ctx.results_dir / a["source"] for a in run["attachments"]}
    assert {"locust-report.html", "locust_stats.csv", "latency-p95-over-time.svg"} <= set(attached)
    assert all(path.stat().st_size > 0 for path in attached.values())
    orders = {p["name"]: p["value"] for p in written["POST /orders"]["parameters"]}
    assert {"p50 ms", "p95 ms", "p99 ms", "error rate", "requests"} <= set(orders)


def test_an_impossible_threshold_fails_the_run_with_exit_code_1_in_distributed_mode(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx, facts = run_load(
        tmp_path,
        monkeypatch,
        LOAD_USERS="4",
        LOAD_RUN_TIME="10",
        LOAD_PROCESSES="2",
        LOAD_THRESHOLDS="load.p95_ms<=0.001",
    )
    log = (ctx.logs_dir / "load.log").read_text()
    assert facts.exit_code == 1, log[-3000:]
    run = results(ctx)["load profile smoke"]
    assert run["status"] == "failed"
    assert "load.p95_ms" in run["statusDetails"]["message"] and "0.001" in run["statusDetails"]["message"]
    assert metrics.read(ctx.metrics_file)["load.requests"] > 0  # the figures are still recorded for the gate
    locust_log = (ctx.run_dir / "load" / "locust.log").read_text()
    assert "2 workers connected" in locust_log  # it really ran as a master with two worker processes
