"""Our own services as processes: N uvicorn replicas each (behind HAProxy), plus background workers."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from system.stack.process import ManagedProcess, wait_until
from system.stack.settings import StackSettings

EnvFactory = Callable[[StackSettings], dict[str, str]]


def _files_env(s: StackSettings) -> dict[str, str]:
    return {
        "FILES_DATABASE_URL": s.database_url("files"),
        "FILES_S3_ENDPOINT": s.s3_endpoint,
        "FILES_S3_ACCESS_KEY": s.s3_access_key,
        "FILES_S3_SECRET_KEY": s.s3_secret_key,
        "FILES_S3_BUCKET": s.s3_bucket,
        "FILES_PUBLIC_URL": f"http://127.0.0.1:{s.files_port}",
    }


def _crm_env(s: StackSettings) -> dict[str, str]:
    return {
        "CRM_DATABASE_URL": s.database_url("crm"),
        "CRM_AMQP_URL": s.amqp_url,
        "CRM_FILES_URL": s.url(s.files_port),
        "CRM_AUTH_SECRET": s.auth_secret,
        "CRM_SEED_DEMO_ACCOUNTS": "true",
    }


def _mes_env(s: StackSettings) -> dict[str, str]:
    return {
        "MES_DATABASE_URL": s.database_url("mes"),
        "MES_AMQP_URL": s.amqp_url,
        "MES_AUTH_SECRET": s.auth_secret,
    }


@dataclass(frozen=True)
class ServiceSpec:
    """How to run one service: its ASGI app, database, frontend port and environment."""

    name: str
    app: str  # "module:factory" for uvicorn --factory
    database: str | None
    port_field: str  # the StackSettings field holding the public (HAProxy) port
    index: int  # position, so every replica of every service gets its own fixed port
    env: EnvFactory
    migrations: str | None = None  # package holding the Alembic scripts
    workers: dict[str, list[str]] = field(default_factory=dict)  # extra processes: name -> argv

    def port(self, s: StackSettings) -> int:
        return int(getattr(s, self.port_field))

    def replica_port(self, s: StackSettings, replica: int) -> int:
        return s.service_base_port + self.index * 100 + replica


SERVICES: list[ServiceSpec] = [
    ServiceSpec(
        name="files",
        app="system.files.app:create_app",
        database="files",
        port_field="files_port",
        index=0,
        env=_files_env,
        migrations="system.files.migrations",
    ),
    ServiceSpec(
        name="crm",
        app="system.crm.app:create_app",
        database="crm",
        port_field="crm_port",
        index=1,
        env=_crm_env,
        migrations="system.crm.migrations",
    ),
    ServiceSpec(
        name="mes",
        app="system.mes.app:create_app",
        database="mes",
        port_field="mes_port",
        index=2,
        env=_mes_env,
        migrations="system.mes.migrations",
    ),
]


def service(name: str) -> ServiceSpec:
    """The spec of service `name`."""
    return next(s for s in SERVICES if s.name == name)


class ServiceReplicas:
    """The replicas and workers of one service."""

    def __init__(self, settings: StackSettings, spec: ServiceSpec, replicas: int = 1) -> None:
        self.settings = settings
        self.spec = spec
        self.name = spec.name
        env = spec.env(settings)
        self.replicas = [
            ManagedProcess(
                name=f"{spec.name}-{r + 1}",
                argv=[
                    sys.executable,
                    "-m",
                    "uvicorn",
                    spec.app,
                    "--factory",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(spec.replica_port(settings, r)),
                    "--no-access-log",
                    "--timeout-graceful-shutdown",
                    "10",
                ],
                run_dir=settings.run_dir,
                log_dir=settings.log_dir,
                env={**env, "SERVICE_INSTANCE": f"{spec.name}-{r + 1}"},
            )
            for r in range(replicas)
        ]
        self.workers = [
            ManagedProcess(
                name=f"{spec.name}-{w}",
                argv=[sys.executable, *argv],
                run_dir=settings.run_dir,
                log_dir=settings.log_dir,
                env=env,
            )
            for w, argv in spec.workers.items()
        ]

    def _ready(self, replica: int) -> bool:
        url = f"http://127.0.0.1:{self.spec.replica_port(self.settings, replica)}/readyz"
        return httpx.get(url, timeout=2).status_code == 200

    def up(self) -> None:
        """Start missing replicas and workers; wait until every replica is ready."""
        for proc in [*self.replicas, *self.workers]:
            proc.start()
        for r, proc in enumerate(self.replicas):
            wait_until(
                lambda r=r: self._ready(r),  # type: ignore[misc]
                process=proc,
                timeout=60,
                what=f"{proc.name} /readyz (see {proc.logfile})",
            )

    def wait_frontend(self) -> None:
        """Wait until HAProxy routes to a ready replica (it marks servers up only after a passing check)."""
        url = f"http://127.0.0.1:{self.spec.port(self.settings)}/readyz"
        wait_until(lambda: httpx.get(url, timeout=2).status_code == 200, timeout=30, what=f"{url} through HAProxy")

    def down(self) -> None:
        for proc in [*self.replicas, *self.workers]:
            proc.stop()

    def health(self) -> list[tuple[str, bool, str]]:
        """One row per replica (readiness) and per worker (running)."""
        rows = []
        for r, proc in enumerate(self.replicas):
            try:
                ok = proc.running() and self._ready(r)
            except httpx.HTTPError:
                ok = False
            rows.append((proc.name, ok, f":{self.spec.replica_port(self.settings, r)}"))
        rows += [(w.name, w.running(), "worker") for w in self.workers]
        return rows

    def processes(self) -> list[ManagedProcess]:
        return [*self.replicas, *self.workers]
