"""Dashboards as code: the committed JSON is what the code generates, every panel queries Prometheus, and every
metric a query reads is one the stack exposes; a typo'd metric and a stale file are caught."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from grafana_foundation_sdk.builders import prometheus, timeseries
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from system.deploy.grafana.catalogue import all_dashboards, as_dict, build
from system.deploy.grafana.generate import OUT_DIR, main, stale
from system.deploy.grafana.lint import panels, problems, referenced_metrics
from system.deploy.grafana.panels import DATASOURCE_VARIABLE, RATE, graph, new_dashboard
from system.deploy.metrics import (
    EXTERNAL_METRICS,
    METRIC_MODULES,
    exposed_metrics,
    own_metrics,
    registered,
)

REPO = Path(__file__).resolve().parents[3]
DASHBOARDS: dict[str, dict[str, Any]] = {d.uid or "": as_dict(d) for d in all_dashboards()}
UIDS = sorted(DASHBOARDS)
PROMETHEUS = {"type": "prometheus", "uid": f"${{{DATASOURCE_VARIABLE}}}"}
METRIC_TYPES = {"Counter", "Gauge", "Histogram", "Summary", "Info", "Enum"}


@pytest.fixture(scope="module")
def exposed() -> set[str]:
    return exposed_metrics()


def _broken() -> dict[str, Any]:
    """A dashboard like ours with one typo: `crm_order_placed_total` (the CRM counts crm_orders_placed_total)."""
    builder = new_dashboard("broken", "Broken", "A typo in a metric name.").with_panel(
        graph(
            "Orders placed / s",
            "Orders the CRM accepted.",
            (f"sum(rate(crm_order_placed_total[{RATE}]))", "placed"),
            (f"sum(rate(crm_order_transitions_total[{RATE}]))", "transitions"),
        )
    )
    return as_dict(build(builder))


# --- the committed files ---


def test_the_committed_json_is_what_the_code_generates() -> None:
    assert stale(OUT_DIR) == [], "dashboards changed: run `python -m system.deploy.grafana` and commit the JSON"


def test_there_is_one_file_per_dashboard_named_by_its_uid() -> None:
    assert {d["title"] for d in DASHBOARDS.values()} == {"Order flow", "Broker", "Pricing pool", "APIs"}
    assert sorted(p.name for p in OUT_DIR.glob("*.json")) == [f"{uid}.json" for uid in UIDS]


@pytest.mark.parametrize("uid", UIDS)
def test_a_committed_file_has_sorted_keys_and_a_trailing_newline(uid: str) -> None:
    text = (OUT_DIR / f"{uid}.json").read_text()
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# --- what every dashboard must satisfy ---


@pytest.mark.parametrize("uid", UIDS)
def test_a_dashboard_reads_only_metrics_the_stack_exposes(uid: str, exposed: set[str]) -> None:
    assert referenced_metrics(DASHBOARDS[uid]), "the dashboard reads no metric at all"
    assert problems(DASHBOARDS[uid], exposed) == []


@pytest.mark.parametrize("uid", UIDS)
def test_every_panel_queries_the_chosen_prometheus_with_an_expression(uid: str) -> None:
    dashboard = DASHBOARDS[uid]
    variables = dashboard["templating"]["list"]
    assert {"name": DATASOURCE_VARIABLE, "type": "datasource", "query": "prometheus"}.items() <= variables[0].items()
    shown = list(panels(dashboard))
    assert shown
    for panel in shown:
        assert panel["datasource"] == PROMETHEUS, panel["title"]
        assert panel["targets"], panel["title"]
        assert all(t["expr"].strip() for t in panel["targets"]), panel["title"]
        assert len({t["refId"] for t in panel["targets"]}) == len(panel["targets"]), panel["title"]


@pytest.mark.parametrize("uid", UIDS)
def test_panel_ids_are_unique_within_a_dashboard(uid: str) -> None:
    ids = [p["id"] for p in DASHBOARDS[uid]["panels"]]
    assert len(set(ids)) == len(ids)


def test_every_expression_is_valid_promql(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is not installed: scripts/setup.sh installs Debian's prometheus"
    # Grafana fills in $__rate_interval; promtool parses each expression as a recording rule's.
    exprs = sorted({t["expr"] for d in DASHBOARDS.values() for p in panels(d) for t in p["targets"]})
    rules = [{"record": f"dashboard:expr_{i}", "expr": e.replace(RATE, "5m")} for i, e in enumerate(exprs)]
    path = tmp_path / "dashboards.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


# --- proof that the checks catch what they are for ---


def test_a_typo_in_a_metric_name_is_rejected_naming_the_metric_and_the_panel(exposed: set[str]) -> None:
    assert problems(_broken(), exposed) == [
        "broken: panel 'Orders placed / s' reads metric 'crm_order_placed_total', which the stack does not expose"
    ]


def test_a_counter_or_histogram_read_by_its_family_name_is_rejected(exposed: set[str]) -> None:
    # Prometheus stores http_requests_total and http_request_seconds_bucket; the bare names select nothing.
    dashboard = as_dict(
        build(
            new_dashboard("bare", "Bare", "Family names.").with_panel(
                graph("Requests", "", ("rate(http_requests[5m])", ""), ("http_request_seconds", ""))
            )
        )
    )
    assert [p.split(" reads metric ")[1].split(",")[0] for p in problems(dashboard, exposed)] == [
        "'http_requests'",
        "'http_request_seconds'",
    ]


def test_a_panel_without_data_source_or_expression_is_rejected(exposed: set[str]) -> None:
    bare_panel = timeseries.Panel().title("Nothing").with_target(prometheus.Dataquery().expr(" ").ref_id("A"))
    dashboard = as_dict(build(new_dashboard("empty", "Empty", "").with_panel(bare_panel)))
    assert problems(dashboard, exposed) == [
        "empty: panel 'Nothing' has no Prometheus data source (query 'A')",
        "empty: panel 'Nothing' has an empty expression (query 'A')",
    ]


def test_a_stale_missing_or_orphaned_file_is_named_by_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--out", str(tmp_path)]) == 0
    assert main(["--check", "--out", str(tmp_path)]) == 0
    capsys.readouterr()

    broker = tmp_path / "broker.json"
    broker.write_text(broker.read_text().replace("rabbitmq_detailed_queue_messages_ready", "renamed_by_hand"))
    (tmp_path / "apis.json").unlink()
    (tmp_path / "retired.json").write_text("{}\n")
    assert main(["--check", "--out", str(tmp_path)]) == 1
    named = [line.rsplit("/", 1) for line in capsys.readouterr().err.splitlines() if "/" in line]
    assert [(why.split(":")[0], name) for why, name in named] == [
        ("stale", "apis.json"),
        ("stale", "broker.json"),
        ("no dashboard generates it, delete", "retired.json"),
    ]

    assert main(["--out", str(tmp_path)]) == 0  # regenerating fixes the two it owns, and leaves the stranger
    assert stale(tmp_path) == ["retired.json"]
    assert "no dashboard generates it, delete: " in capsys.readouterr().err


# --- the set of exposed metrics ---


def test_exposed_metrics_are_series_names_not_family_names(exposed: set[str]) -> None:
    assert {"http_requests_total", "http_request_seconds_bucket", "http_request_seconds_count"} <= exposed
    assert {"crm_orders", "outbox_oldest_pending_seconds", "up"} <= exposed
    assert {"http_requests", "http_request_seconds", "crm_orders_placed"}.isdisjoint(exposed)
    assert set(EXTERNAL_METRICS) <= exposed


def test_a_labelled_metric_counts_before_its_first_use() -> None:
    registry = CollectorRegistry()
    Counter("jobs_total", "", ["outcome"], registry=registry)
    Histogram("job_seconds", "", ["outcome"], registry=registry)
    Gauge("depth", "", registry=registry)
    assert registered(registry) == {"jobs_total", "job_seconds_bucket", "job_seconds_count", "job_seconds_sum", "depth"}


def _defines_metrics(path: Path) -> bool:
    """Whether the module assigns a prometheus_client metric at module level."""
    for node in ast.parse(path.read_text()).body:
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in METRIC_TYPES:
            return True
    return False


def test_the_metric_modules_are_every_module_that_defines_a_metric() -> None:
    defining = {
        ".".join(path.relative_to(REPO).with_suffix("").parts)
        for path in (REPO / "system").rglob("*.py")
        if "prometheus_client" in path.read_text() and _defines_metrics(path)
    }
    assert defining == set(METRIC_MODULES)


def test_every_external_metric_is_read_by_a_dashboard_and_none_is_ours() -> None:
    read = set().union(*(referenced_metrics(d) for d in DASHBOARDS.values()))
    assert len(set(EXTERNAL_METRICS)) == len(EXTERNAL_METRICS)
    assert set(EXTERNAL_METRICS) <= read, "drop the names no dashboard reads: the live-scrape test checks each"
    assert set(EXTERNAL_METRICS).isdisjoint(own_metrics())
