"""What runs in the cluster and who may talk to whom: the one table the workloads and network policies follow.

The services and their commands come from the process stack's specs (system/stack/services.py); the edges are
DESIGN.md's "talks to" column, plus what the code really calls (the Shop's operator console reads MES).
"""

from __future__ import annotations

from dataclasses import dataclass

from system.stack.services import ServiceSpec, service

HTTP_PORT = 8000  # every API's container port
METRICS_PORT = 9100  # a pricing worker's Prometheus endpoint
AMQP_PORT = 5672
POSTGRES_PORT = 5432
OTLP_PORT = 4318  # OTLP/HTTP of the trace collector (Jaeger)
S3_PORTS = (443, 80)  # an S3 endpoint outside the cluster (AWS, or Ceph RGW / MinIO behind a load balancer)
BROKER = "rabbitmq"  # the RabbitmqCluster's name; its client Service has the same name


@dataclass(frozen=True)
class Workload:
    """One of our services as a Deployment."""

    spec: ServiceSpec
    replicas: int  # at least 2: a node drained or a pod killed leaves the service up (the PDB keeps one)
    max_replicas: int  # the autoscaler's ceiling
    calls: tuple[str, ...] = ()  # our services it calls over HTTP
    broker: bool = False
    database: bool = False
    s3: bool = False
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
    Workload(service("crm"), replicas=2, max_replicas=8, calls=("files",), broker=True, database=True),
    Workload(service("mes"), replicas=2, max_replicas=8, broker=True, database=True),
    # Scaled by KEDA on the depth of pricing.requests, not by CPU: a slicing worker is always busy.
    Workload(service("pricing"), replicas=1, max_replicas=10, calls=("files",), broker=True),
    Workload(
        service("shop"), replicas=2, max_replicas=6, calls=("crm", "mes", "files"), public=True, checks_tokens=False
    ),
)


def workload(name: str) -> Workload:
    """The workload called `name`."""
    return next(w for w in WORKLOADS if w.name == name)


def callers(name: str) -> list[Workload]:
    """The workloads that call service `name` over HTTP."""
    return [w for w in WORKLOADS if name in w.calls]
