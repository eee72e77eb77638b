"""Ports, paths and credentials of the local stack: fixed defaults, each overridable by a STACK_* variable."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]


class StackSettings(BaseSettings):
    """Everything the local stack needs to know; read from STACK_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="STACK_", frozen=True)

    state_dir: Path = REPO_ROOT / ".stack"
    # processes: every component a process of this machine (its Debian packages, the venv); containers: each in
    # a host-network container of its image (`make images`, system/stack/containers.py), same ports and files.
    runtime: Literal["processes", "containers"] = "processes"
    image_prefix: str = "layerworks/"
    image_tag: str = "latest"

    @model_validator(mode="before")
    @classmethod
    def _own_state_for_containers(cls, values: Any) -> Any:
        """Containers keep their state apart (.stack-containers): their data belong to the images' users."""
        if isinstance(values, dict) and values.get("runtime") == "containers" and "state_dir" not in values:
            return {**values, "state_dir": REPO_ROOT / ".stack-containers"}
        return values

    rabbit_nodes: int = 3
    rabbit_amqp_base_port: int = 5681
    rabbit_dist_base_port: int = 25681
    rabbit_mgmt_base_port: int = 15681
    rabbit_prom_base_port: int = 15691
    rabbit_user: str = "guest"
    rabbit_password: str = "guest"
    # Above the longest pricing job (30 min) so the broker never cancels a consumer mid-job.
    rabbit_consumer_timeout_ms: int = 45 * 60 * 1000
    # Erlang's inter-node heartbeat: a partitioned peer is declared down after 0.75-1.25 x this (default 60 s).
    rabbit_net_ticktime_s: int = 15

    haproxy_amqp_port: int = 5680
    haproxy_stats_port: int = 8404

    pg_port: int = 5433
    pg_user: str = "orders"
    pg_password: str = "orders"

    s3_port: int = 7480
    s3_access_key: str = "stackaccesskey"
    s3_secret_key: str = "stacksecretkey0123456789"
    s3_bucket: str = "models"

    # Public (HAProxy) ports of the services; replicas listen on service_base_port + 100 * index + replica.
    files_port: int = 8010
    crm_port: int = 8020
    mes_port: int = 8030
    shop_port: int = 8000
    # The local trace backend (system/tracesink, ADR 009): every service exports OTLP/HTTP to it.
    tracesink_port: int = 14318
    trace_export: bool = True  # STACK_TRACE_EXPORT=false: services keep their spans to themselves (overhead bench)
    # How often each process sends its finished spans. Each export is an HTTP request of its own: at 200 ms, ten
    # processes made 50 a second, and the load suite's p95 tripled on this 2-core machine (see bench-tracing).
    trace_batch_delay_ms: int = 1000
    service_base_port: int = 18000

    # Monitoring: Prometheus scrapes (and evaluates the alert rules) every scrape_interval_s; Alertmanager
    # notifies the webhooks of system/deploy/alertmanager/alertmanager.yml (127.0.0.1:19097 locally).
    # Not 9090/9093: a machine with Debian's prometheus service running keeps those.
    prometheus_port: int = 19090
    alertmanager_port: int = 19093
    scrape_interval_s: int = 5
    # Shared by the services to sign and check bearer tokens; a fixed value is fine for a local stack only.
    auth_secret: str = "local-stack-secret-change-me-0123456789"
    shop_session_secret: str = "local-stack-shop-session-secret-0123456789"

    @cached_property
    def run_dir(self) -> Path:
        return self.state_dir / "run"

    @cached_property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def amqp_url(self) -> str:
        """AMQP through HAProxy: survives the loss of any one node."""
        return f"amqp://{self.rabbit_user}:{self.rabbit_password}@127.0.0.1:{self.haproxy_amqp_port}/"

    def node_dist_address(self, index: int) -> str:
        """The loopback address node `index` connects to its peers from, so that a partition can single it out."""
        return f"127.0.0.{11 + index}"

    def node_amqp_port(self, index: int) -> int:
        return self.rabbit_amqp_base_port + index

    def node_mgmt_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.rabbit_mgmt_base_port + index}"

    @property
    def otlp_endpoint(self) -> str:
        return self.url(self.tracesink_port)

    def database_url(self, database: str) -> str:
        return f"postgresql+asyncpg://{self.pg_user}:{self.pg_password}@127.0.0.1:{self.pg_port}/{database}"

    def url(self, port: int) -> str:
        return f"http://127.0.0.1:{port}"

    @property
    def s3_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"
