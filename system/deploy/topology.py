"""What a deployment runs, who may talk to whom, and which settings each service is given: the one table the
Kubernetes manifests (system/deploy/kubernetes) and the compose file (system/deploy/compose.py) follow.

The services and their commands come from the process stack's specs (system/stack/services.py); the edges are
DESIGN.md's "talks to" column, plus what the code really calls (the Shop's operator console reads MES).
Settings are named by where their value comes from (a secret, the environment's configuration, a fixed value),
and each deployment says how it provides that source.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from system.stack.services import ServiceSpec, service

HTTP_PORT = 8000  # every API's container port
METRICS_PORT = 9100  # a pricing worker's Prometheus endpoint
AMQP_PORT = 5672
POSTGRES_PORT = 5432
OTLP_PORT = 4318  # OTLP/HTTP of the trace collector (Jaeger)
S3_PORTS = (443, 80)  # an S3 endpoint outside the cluster (AWS, or Ceph RGW / MinIO behind a load balancer)
BROKER = "rabbitmq"  # the RabbitmqCluster's name; its client Service has the same name
JAEGER_TRACE_LINK = "/trace/{trace_id}"  # a trace in Jaeger's UI (traces-url), both deployments' trace store
PRICING_CACHE_DIR = "/var/cache/pricing"  # where a pricing worker keeps downloaded models (an emptyDir, a tmpfs)


@dataclass(frozen=True)
class Workload:
    """One of our services as a Deployment."""

    spec: ServiceSpec
    replicas: int  # the fewest (the autoscaler's floor): at least 2 for an API, so a drain leaves it up
    max_replicas: int  # the autoscaler's ceiling
    calls: tuple[str, ...] = ()  # our services it calls over HTTP
    broker: bool = False
    database: bool = False
    s3: bool = False  # holds the S3 credentials (the File Service: the bucket is its data)
    s3_urls: bool = False  # sends or fetches bytes through the File Service's presigned S3 URLs, no credentials
    accounts: bool = False  # owns the customer accounts: seeds the demo ones where the environment asks
    public: bool = False  # reachable from outside the namespace (only the Shop)
    checks_tokens: bool = True  # verifies bearer tokens (ADR 002/004); the Shop keeps a session cookie instead

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def prefix(self) -> str:
        """Its settings' environment prefix (CrmSettings reads CRM_*)."""
        return self.name.upper()

    @property
    def http(self) -> bool:
        return self.spec.http


WORKLOADS = (
    Workload(service("files"), replicas=2, max_replicas=6, database=True, s3=True),
    Workload(service("crm"), replicas=2, max_replicas=8, calls=("files",), broker=True, database=True, accounts=True),
    Workload(service("mes"), replicas=2, max_replicas=8, broker=True, database=True),
    # Scaled by KEDA on the depth of pricing.requests, not by CPU: a slicing worker is always busy.
    Workload(service("pricing"), replicas=1, max_replicas=10, calls=("files",), broker=True, s3_urls=True),
    Workload(
        service("shop"),
        replicas=2,
        max_replicas=6,
        calls=("crm", "mes", "files"),
        s3_urls=True,  # the browser's upload and the operator's download go through the Shop
        public=True,
        checks_tokens=False,
    ),
)


def workload(name: str) -> Workload:
    """The workload called `name`."""
    return next(w for w in WORKLOADS if w.name == name)


def callers(name: str) -> list[Workload]:
    """The workloads that call service `name` over HTTP."""
    return [w for w in WORKLOADS if name in w.calls]


@dataclass(frozen=True)
class Setting:
    """One environment variable of a service and where its value comes from."""

    name: str
    source: Literal["secret", "config", "value", "instance", "broker"]
    # The secret's or configuration's key, the literal value, "" for the instance's own name, or for "broker" the
    # broker's login (each deployment's broker makes its own: compose's from .env, Kubernetes' its operator's user).
    ref: str


def settings(w: Workload) -> list[Setting]:
    """The service's settings (its *Settings class reads them with prefix `w.prefix`)."""
    p = w.prefix
    out = [Setting(f"{p}_AUTH_SECRET", "secret", "auth-secret")] if w.checks_tokens else []
    out += [Setting(f"{p}_LOG_JSON", "value", "true"), Setting(f"{p}_OTLP_ENDPOINT", "config", "otlp-endpoint")]
    out.append(Setting("SERVICE_INSTANCE", "instance", ""))
    if w.database:
        out.append(Setting(f"{p}_DATABASE_URL", "secret", f"{w.name}-database-url"))
    if w.broker:
        out.append(Setting(f"{p}_AMQP_URL", "broker", "amqp-url"))
    out += [Setting(f"{p}_{callee.upper()}_URL", "value", f"http://{callee}:{HTTP_PORT}") for callee in w.calls]
    if w.s3:
        out += [Setting(f"{p}_S3_{key.upper()}", "config", f"s3-{key}") for key in ("endpoint", "region", "bucket")]
        out += [Setting(f"{p}_S3_ACCESS_KEY", "secret", "s3-access-key")]
        out += [Setting(f"{p}_S3_SECRET_KEY", "secret", "s3-secret-key")]
    if w.accounts:  # the load generator and the browser tests sign in as them: a test environment's choice
        out.append(Setting(f"{p}_SEED_DEMO_ACCOUNTS", "config", "seed-demo-accounts"))
    if w.public:
        out += [
            Setting(f"{p}_SESSION_SECRET", "secret", "shop-session-secret"),
            Setting(f"{p}_PUBLIC_URL", "config", "shop-public-url"),
            Setting(f"{p}_TRACES_URL", "config", "traces-url"),
            Setting(f"{p}_TRACE_LINK", "value", JAEGER_TRACE_LINK),
        ]
    if not w.http:
        out += [Setting(f"{p}_METRICS_PORT", "value", str(METRICS_PORT))]
        out += [Setting(f"{p}_CACHE_DIR", "value", PRICING_CACHE_DIR)]
    return out


def migrate_command(w: Workload) -> list[str]:
    """The command bringing the service's database to the newest schema (replicas may run it together)."""
    assert w.spec.migrations, f"{w.name} has no database migrations"
    return ["python", "-m", "system.kernel.migrate", w.spec.migrations, f"{w.prefix}_DATABASE_URL"]


def serve_command(w: Workload) -> list[str]:
    """The container's command: uvicorn on HTTP_PORT for an API, the worker pool for pricing."""
    if not w.http:
        return ["python", *w.spec.command]
    assert w.spec.app is not None
    return ["python", "-m", "uvicorn", w.spec.app, "--factory", "--host", "0.0.0.0", "--port", str(HTTP_PORT),
            "--no-access-log", "--timeout-graceful-shutdown", "10"]  # fmt: skip
