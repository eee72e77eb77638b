"""Prometheus and Alertmanager as stack processes: every replica, worker, HAProxy and broker node scraped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import yaml

from system.stack.containers import container, program
from system.stack.process import ManagedProcess, wait_until
from system.stack.services import ServiceSpec
from system.stack.settings import StackSettings

DEPLOY_DIR = Path(__file__).resolve().parent.parent / "deploy"
RULES_DIR = DEPLOY_DIR / "prometheus" / "rules"
ALERTMANAGER_CONFIG = DEPLOY_DIR / "alertmanager" / "alertmanager.yml"
# rabbitmq_prometheus's per-object families: queue depths (ready, unacked) and consumer counts per queue.
QUEUE_FAMILIES = ["queue_coarse_metrics", "queue_consumer_count"]


def scrape_configs(s: StackSettings, services: list[ServiceSpec], replicas: dict[str, int]) -> list[dict[str, Any]]:
    """One job per service (a target per replica, labelled `replica`), HAProxy, and the broker nodes twice:
    the node's own metrics (job rabbitmq: `up` says whether the node answers) and its queues (rabbitmq-queues)."""
    jobs: list[dict[str, Any]] = []
    for spec in services:
        targets = [
            {"targets": [f"127.0.0.1:{spec.replica_port(s, r)}"], "labels": {"replica": f"{spec.name}-{r + 1}"}}
            for r in range(replicas.get(spec.name, spec.default_replicas))
        ]
        jobs.append({"job_name": spec.name, "static_configs": targets})
    jobs.append({"job_name": "haproxy", "static_configs": [{"targets": [f"127.0.0.1:{s.haproxy_stats_port}"]}]})
    nodes = [
        {"targets": [f"127.0.0.1:{s.rabbit_prom_base_port + i}"], "labels": {"node": f"rabbit{i + 1}"}}
        for i in range(s.rabbit_nodes)
    ]
    jobs += broker_jobs(nodes)
    jobs.append({"job_name": "alertmanager", "static_configs": [{"targets": [f"127.0.0.1:{s.alertmanager_port}"]}]})
    return jobs


def broker_jobs(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The broker nodes scraped twice: the node's own metrics (job rabbitmq: `up` says whether the node answers)
    and its queues (rabbitmq-queues, the per-object families)."""
    queues = {"metrics_path": "/metrics/detailed", "params": {"family": QUEUE_FAMILIES}}
    return [
        {"job_name": "rabbitmq", "static_configs": nodes},
        {"job_name": "rabbitmq-queues", **queues, "static_configs": nodes},
    ]


class _Daemon:
    """A process with an HTTP readiness endpoint (`/-/ready`, as both Prometheus and Alertmanager have)."""

    name: str
    process: ManagedProcess
    port: int

    def __init__(self, settings: StackSettings, port: int, argv: list[str]) -> None:
        self.settings = settings
        self.port = port
        s, health = settings, {"HEALTH_URL": f"{self.url}/-/healthy"}  # the image's health check
        self.process = ManagedProcess(self.name, argv, s.run_dir, s.log_dir, health, container=container(s, self.name))

    @property
    def url(self) -> str:
        return self.settings.url(self.port)

    def _ready(self) -> bool:
        return httpx.get(f"{self.url}/-/ready", timeout=2).status_code == 200

    def up(self) -> None:
        """Start unless running; wait until ready."""
        self.process.start()
        wait_until(self._ready, process=self.process, timeout=30, what=f"{self.name} (see {self.process.logfile})")

    def down(self) -> None:
        self.process.stop()

    def health(self) -> tuple[bool, str]:
        try:
            ok = self.process.running() and self._ready()
        except httpx.HTTPError:
            ok = False
        return ok, f":{self.port}"

    def processes(self) -> list[ManagedProcess]:
        return [self.process]


class Prometheus(_Daemon):
    """A Prometheus server with the alert rules of system/deploy/prometheus, sending to the stack's Alertmanager."""

    name = "prometheus"

    def __init__(self, settings: StackSettings, services: list[ServiceSpec], replicas: dict[str, int]) -> None:
        self.services = services
        self.replicas = replicas
        self.config = settings.state_dir / "prometheus.yml"
        binary = program(settings, "prometheus", "prometheus", "/usr/bin/prometheus")
        argv = [
            binary,
            f"--config.file={self.config}",
            f"--storage.tsdb.path={settings.state_dir / 'prometheus'}",
            f"--web.listen-address=127.0.0.1:{settings.prometheus_port}",
            "--web.enable-lifecycle",  # `up` reloads a changed config without a restart
            "--storage.tsdb.retention.time=2d",
        ]
        super().__init__(settings, settings.prometheus_port, argv)

    def render(self) -> str:
        """prometheus.yml for the current replica counts."""
        s = self.settings
        config = {
            # Short intervals: an alert (and the test that proves it) fires within seconds of its cause.
            "global": {
                "scrape_interval": f"{s.scrape_interval_s}s",
                "evaluation_interval": f"{s.scrape_interval_s}s",
                "external_labels": {"cluster": "local"},
            },
            "rule_files": [str(RULES_DIR / "*.yml")],
            "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{s.alertmanager_port}"]}]}]},
            "scrape_configs": scrape_configs(s, self.services, self.replicas),
        }
        return str(yaml.safe_dump(config, sort_keys=False))

    def up(self) -> None:
        """Write the config; start Prometheus, or make a running one reload a changed config."""
        text = self.render()
        changed = self.config.exists() and self.config.read_text() != text
        self.config.parent.mkdir(parents=True, exist_ok=True)
        self.config.write_text(text)
        if changed and self.process.running():
            httpx.post(f"{self.url}/-/reload", timeout=10).raise_for_status()
        super().up()


class Alertmanager(_Daemon):
    """Alertmanager with the routing and inhibition of system/deploy/alertmanager (no HA peers)."""

    name = "alertmanager"

    def __init__(self, settings: StackSettings, config: Path = ALERTMANAGER_CONFIG) -> None:
        binary = program(settings, "prometheus-alertmanager", "prometheus-alertmanager", "alertmanager")
        argv = [
            binary,
            f"--config.file={config}",
            f"--storage.path={settings.state_dir / 'alertmanager'}",
            f"--web.listen-address=127.0.0.1:{settings.alertmanager_port}",
            "--cluster.listen-address=",  # one instance: no HA gossip port to clash with
        ]
        super().__init__(settings, settings.alertmanager_port, argv)
