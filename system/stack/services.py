"""Our own services as processes: N uvicorn replicas each (behind HAProxy), or N worker processes."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from system.stack.containers import SERVICE_USER, container, owner, program
from system.stack.process import ManagedProcess, wait_until
from system.stack.settings import StackSettings

EnvFactory = Callable[[StackSettings], dict[str, str]]


def _traced(prefix: str, env: EnvFactory) -> EnvFactory:
    """`env` plus the OTLP endpoint of the stack's trace sink (unless the stack exports no traces)."""

    def with_tracing(s: StackSettings) -> dict[str, str]:
        if not s.trace_export:
            return env(s)
        delay = str(s.trace_batch_delay_ms)  # an order's trace is complete in the sink this long after its last span
        return {**env(s), f"{prefix}_OTLP_ENDPOINT": s.otlp_endpoint, "OTEL_BSP_SCHEDULE_DELAY": delay}

    return with_tracing


def _tracesink_env(s: StackSettings) -> dict[str, str]:
    return {}


def _files_env(s: StackSettings) -> dict[str, str]:
    return {
        "FILES_DATABASE_URL": s.database_url("files"),
        "FILES_S3_ENDPOINT": s.s3_endpoint,
        "FILES_S3_ACCESS_KEY": s.s3_access_key,
        "FILES_S3_SECRET_KEY": s.s3_secret_key,
        "FILES_S3_BUCKET": s.s3_bucket,
        "FILES_PUBLIC_URL": f"http://127.0.0.1:{s.files_port}",
        "FILES_AUTH_SECRET": s.auth_secret,
        # Often enough that a test sees an abandoned upload go within seconds (the default is 5 minutes).
        "FILES_SWEEP_INTERVAL_SECONDS": "5",
    }


def _crm_env(s: StackSettings) -> dict[str, str]:
    return {
        "CRM_DATABASE_URL": s.database_url("crm"),
        "CRM_AMQP_URL": s.amqp_url,
        "CRM_FILES_URL": s.url(s.files_port),
        "CRM_AUTH_SECRET": s.auth_secret,
        "CRM_SEED_DEMO_ACCOUNTS": "true",
    }


def _shop_env(s: StackSettings) -> dict[str, str]:
    return {
        "SHOP_CRM_URL": s.url(s.crm_port),
        "SHOP_MES_URL": s.url(s.mes_port),
        "SHOP_FILES_URL": s.url(s.files_port),
        "SHOP_SESSION_SECRET": s.shop_session_secret,
        "SHOP_PUBLIC_URL": s.url(s.shop_port),
    }


def _pricing_env(s: StackSettings) -> dict[str, str]:
    return {
        "PRICING_AMQP_URL": s.amqp_url,
        "PRICING_FILES_URL": s.url(s.files_port),
        "PRICING_CACHE_DIR": str(s.state_dir / "pricing-cache"),
        "PRICING_AUTH_SECRET": s.auth_secret,
    }


def _mes_env(s: StackSettings) -> dict[str, str]:
    return {
        "MES_DATABASE_URL": s.database_url("mes"),
        "MES_AMQP_URL": s.amqp_url,
        "MES_AUTH_SECRET": s.auth_secret,
    }


@dataclass(frozen=True)
class ServiceSpec:
    """How to run one service: an ASGI app behind HAProxy, or a worker command; its database and environment."""

    name: str
    app: str | None  # "module:factory" for uvicorn --factory; None for a worker without an HTTP API
    database: str | None
    port_field: str | None  # the StackSettings field holding the public (HAProxy) port, for apps
    index: int  # position, so every replica of every service gets its own fixed port
    env: EnvFactory
    migrations: str | None = None  # package holding the Alembic scripts
    command: tuple[str, ...] = ()  # a worker's `python` arguments
    port_env: str | None = None  # a worker's variable that receives its own port (for /metrics)
    default_replicas: int = 1
    # CPU priority (nice). Pricing workers are batch work: on a shared machine they yield the CPU to the
    # request-serving APIs (in Kubernetes, their own CPU requests and limits play this role).
    nice: int = 0

    @property
    def http(self) -> bool:
        return self.app is not None

    def port(self, s: StackSettings) -> int:
        assert self.port_field is not None, f"{self.name} has no public port"
        return int(getattr(s, self.port_field))

    def replica_port(self, s: StackSettings, replica: int) -> int:
        return s.service_base_port + self.index * 100 + replica

    def argv(self, s: StackSettings, replica: int) -> list[str]:
        niced = ["nice", "-n", str(self.nice)] if self.nice else []
        python = program(s, "python", sys.executable)  # the venv's here, the image's (/opt/venv) in a container
        if self.app is None:
            return [*niced, python, *self.command]
        port = str(self.replica_port(s, replica))
        return [*niced, python, "-m", "uvicorn", self.app, "--factory", "--host", "127.0.0.1", "--port", port,
                "--no-access-log", "--timeout-graceful-shutdown", "10"]  # fmt: skip


SERVICES: list[ServiceSpec] = [
    # First, so every service that starts after it has somewhere to send its spans. One replica only: it keeps
    # the spans in memory, so replicas would each hold part of a trace.
    ServiceSpec(
        name="tracesink",
        app="system.tracesink.app:create_app",
        database=None,
        port_field="tracesink_port",
        index=5,
        env=_tracesink_env,
        nice=10,  # a development tool: on a shared machine the APIs come first
    ),
    ServiceSpec(
        name="files",
        app="system.files.app:create_app",
        database="files",
        port_field="files_port",
        index=0,
        env=_traced("FILES", _files_env),
        migrations="system.files.migrations",
    ),
    ServiceSpec(
        name="crm",
        app="system.crm.app:create_app",
        database="crm",
        port_field="crm_port",
        index=1,
        env=_traced("CRM", _crm_env),
        migrations="system.crm.migrations",
        default_replicas=2,  # horizontally scaled: any replica may die (the chaos suite kills one)
    ),
    ServiceSpec(
        name="mes",
        app="system.mes.app:create_app",
        database="mes",
        port_field="mes_port",
        index=2,
        env=_traced("MES", _mes_env),
        migrations="system.mes.migrations",
        default_replicas=2,
    ),
    ServiceSpec(
        name="pricing",
        app=None,
        database=None,
        port_field=None,
        index=3,
        env=_traced("PRICING", _pricing_env),
        command=("-m", "system.pricing", "--concurrency", "1"),
        port_env="PRICING_METRICS_PORT",
        default_replicas=2,
        nice=10,
    ),
    ServiceSpec(
        name="shop",
        app="system.shop.app:create_app",
        database=None,
        port_field="shop_port",
        index=4,
        env=_traced("SHOP", _shop_env),
    ),
]


def service(name: str) -> ServiceSpec:
    """The spec of service `name`."""
    return next(s for s in SERVICES if s.name == name)


class ServiceReplicas:
    """The N replicas of one service (uvicorn processes, or worker processes)."""

    def __init__(self, settings: StackSettings, spec: ServiceSpec, replicas: int = 1) -> None:
        self.settings = settings
        self.spec = spec
        self.name = spec.name
        env = spec.env(settings)
        box = container(settings, "services", user=SERVICE_USER)
        self.replicas = [
            ManagedProcess(
                name=f"{spec.name}-{r + 1}",
                argv=spec.argv(settings, r),
                run_dir=settings.run_dir,
                log_dir=settings.log_dir,
                env={
                    **env,
                    "SERVICE_INSTANCE": f"{spec.name}-{r + 1}",
                    **({spec.port_env: str(spec.replica_port(settings, r))} if spec.port_env else {}),
                    "HEALTH_URL": self._url(r),  # the image's health check
                },
                container=box,
            )
            for r in range(replicas)
        ]

    def _url(self, replica: int, path: str = "/healthz") -> str:
        """A replica's URL: `path` for an API, /metrics for a worker."""
        path = path if self.spec.http else "/metrics"
        return f"http://127.0.0.1:{self.spec.replica_port(self.settings, replica)}{path}"

    def _ready(self, replica: int) -> bool:
        return httpx.get(self._url(replica, "/readyz"), timeout=2).status_code == 200

    def up(self) -> None:
        """Start missing replicas; wait until every replica is ready."""
        if self.replicas and self.replicas[0].container is not None:
            self._writable_dirs()
        for proc in self.replicas:
            proc.start()
        for r, proc in enumerate(self.replicas):
            wait_until(
                functools.partial(self._ready, r),
                process=proc,
                timeout=60,
                what=f"{proc.name} ready (see {proc.logfile})",
            )

    def _writable_dirs(self) -> None:
        """In a container the service runs unprivileged: give it the directories it writes under the state dir."""
        state = self.settings.state_dir.absolute()
        for value in self.spec.env(self.settings).values():
            if value.startswith(f"{state}/"):
                Path(value).mkdir(parents=True, exist_ok=True)
                os.chown(value, *owner(self.settings, SERVICE_USER))

    def wait_frontend(self) -> None:
        """Wait until HAProxy routes to a ready replica (it marks servers up only after a passing check)."""
        if not self.spec.http:
            return
        url = f"http://127.0.0.1:{self.spec.port(self.settings)}/readyz"
        wait_until(lambda: httpx.get(url, timeout=2).status_code == 200, timeout=30, what=f"{url} through HAProxy")

    def down(self) -> None:
        for proc in self.replicas:
            proc.stop()

    def health(self) -> list[tuple[str, bool, str]]:
        """One row per replica: running and ready (workers: serving /metrics)."""
        rows = []
        for r, proc in enumerate(self.replicas):
            try:
                ok = proc.running() and self._ready(r)
            except httpx.HTTPError:
                ok = False
            kind = "" if self.spec.http else "worker, metrics "
            rows.append((proc.name, ok, f"{kind}:{self.spec.replica_port(self.settings, r)}"))
        return rows

    def processes(self) -> list[ManagedProcess]:
        return list(self.replicas)
