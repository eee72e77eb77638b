"""The local stack's plan, without starting anything: ports, replicas, the HAProxy configuration."""

from __future__ import annotations

import itertools
from pathlib import Path

from system.stack.haproxy import HAProxy
from system.stack.services import SERVICES, ServiceReplicas, service
from system.stack.settings import StackSettings


def settings(tmp_path: Path) -> StackSettings:
    return StackSettings(state_dir=tmp_path / "stack")


def test_every_replica_of_every_service_gets_its_own_port(tmp_path: Path) -> None:
    s = settings(tmp_path)
    ports = [spec.replica_port(s, r) for spec in SERVICES for r in range(10)]
    public = [spec.port(s) for spec in SERVICES if spec.http]
    fixed = [s.haproxy_amqp_port, s.haproxy_stats_port, s.pg_port, s.s3_port, s.prometheus_port, s.alertmanager_port]
    fixed += [s.node_amqp_port(i) for i in range(s.rabbit_nodes)]
    everything = ports + public + fixed
    assert len(everything) == len(set(everything)), "no two listeners share a port"


def test_haproxy_balances_each_http_service_over_its_replicas_and_the_amqp_nodes(tmp_path: Path) -> None:
    s = settings(tmp_path)
    text = HAProxy(s, SERVICES, {"crm": 3}).render()
    crm = text.split("listen crm")[1].split("listen ")[0]
    assert [line.split()[1] for line in crm.splitlines() if line.strip().startswith("server")] == [
        "crm1",
        "crm2",
        "crm3",
    ]
    assert f"bind 127.0.0.1:{s.crm_port}" in crm and "option httpchk GET /healthz" in crm
    amqp = text.split("listen amqp")[1].split("listen ")[0]
    assert "on-marked-down shutdown-sessions" in amqp
    assert [f"127.0.0.1:{s.node_amqp_port(i)}" in amqp for i in range(s.rabbit_nodes)] == [True] * s.rabbit_nodes
    assert "listen pricing" not in text, "workers have no HTTP frontend"


def test_http_replicas_run_uvicorn_and_workers_run_their_command_with_their_own_metrics_port(tmp_path: Path) -> None:
    s = settings(tmp_path)
    crm = ServiceReplicas(s, service("crm"), 2)
    assert [p.argv[p.argv.index("--port") + 1] for p in crm.replicas] == ["18100", "18101"]
    assert all("system.crm.app:create_app" in p.argv for p in crm.replicas)
    pricing = ServiceReplicas(s, service("pricing"), 3)
    assert all(p.argv[:3] == ["nice", "-n", "10"] and p.argv[4:6] == ["-m", "system.pricing"] for p in pricing.replicas)
    assert [p.env["PRICING_METRICS_PORT"] for p in pricing.replicas] == ["18300", "18301", "18302"]
    assert {p.name for p in itertools.chain(crm.replicas, pricing.replicas)} == {
        "crm-1", "crm-2", "pricing-1", "pricing-2", "pricing-3"
    }  # fmt: skip


def test_services_reach_each_other_through_haproxy_and_share_the_token_secret(tmp_path: Path) -> None:
    s = settings(tmp_path)
    env = {spec.name: spec.env(s) for spec in SERVICES}
    assert env["crm"]["CRM_FILES_URL"] == f"http://127.0.0.1:{s.files_port}"
    assert env["shop"]["SHOP_CRM_URL"] == f"http://127.0.0.1:{s.crm_port}"
    assert env["crm"]["CRM_AUTH_SECRET"] == env["mes"]["MES_AUTH_SECRET"]
    assert all(
        v["CRM_AMQP_URL" if k == "crm" else "MES_AMQP_URL"] == s.amqp_url for k, v in env.items() if k in ("crm", "mes")
    )


def test_every_service_but_the_sink_exports_its_spans_to_the_stacks_trace_sink(tmp_path: Path) -> None:
    s = settings(tmp_path)
    traced = [spec for spec in SERVICES if spec.name != "tracesink"]
    endpoints = {spec.name: spec.env(s).get(f"{spec.name.upper()}_OTLP_ENDPOINT") for spec in traced}
    sink = f"http://127.0.0.1:{s.tracesink_port}"
    assert endpoints == dict.fromkeys(["files", "crm", "mes", "pricing", "shop"], sink)
    assert "TRACESINK_OTLP_ENDPOINT" not in service("tracesink").env(s)  # it would trace its own exports
