"""Each of our services as a Deployment with its Service, PodDisruptionBudget and autoscaler.

APIs scale on CPU (HorizontalPodAutoscaler); pricing workers on the depth of `pricing.requests` (a KEDA
ScaledObject), because a slicing worker is always busy whatever the backlog. Every pod runs as the image's
non-root user with a read-only root filesystem; what a service writes goes to an emptyDir.
"""

from __future__ import annotations

from system.deploy.kubernetes.objects import (
    IMAGE,
    RESTRICTED_CONTAINER,
    RESTRICTED_POD,
    SECRETS,
    Obj,
    from_config,
    from_field,
    from_secret,
    http_probe,
    labels,
    resource,
    resources,
    selector,
    value,
)
from system.deploy.topology import (
    BROKER,
    HTTP_PORT,
    METRICS_PORT,
    PRICING_CACHE_DIR,
    Workload,
    migrate_command,
    serve_command,
    settings,
)
from system.kernel.messaging.queues import PRICING_REQUESTS

CPU_TARGET = {"type": "Utilization", "averageUtilization": 70}
# How many pricing.requests messages one worker is expected to have waiting before another is started.
PRICING_BACKLOG_PER_WORKER = 2
# RabbitMQ's consumer_timeout must exceed the longest pricing job (30 min by default): 45 min, as the local stack.
CONSUMER_TIMEOUT_MS = 45 * 60 * 1000
# The broker's version, as compose.yaml's (the local stack runs Debian's 3.10); 4.x changes quorum queues' defaults.
BROKER_IMAGE = "rabbitmq:3.13-management"
# The Cluster Operator makes the broker's user and keeps it in this Secret (keys username and password).
BROKER_USER_SECRET = f"{BROKER}-default-user"
BROKER_MANAGEMENT_URL = "broker-management-url"  # in the Secret: where KEDA (another namespace) reaches the HTTP API


def component(w: Workload) -> str:
    return "api" if w.http else "worker"


def broker_url(name: str) -> list[Obj]:
    """`name` = the broker's AMQP URL, with the user the Cluster Operator made (Kubernetes expands `$(VAR)` from
    the entries before it); its password is URL-safe base64, so it needs no escaping."""
    return [
        from_secret("BROKER_USERNAME", "username", BROKER_USER_SECRET),
        from_secret("BROKER_PASSWORD", "password", BROKER_USER_SECRET),
        value(name, f"amqp://$(BROKER_USERNAME):$(BROKER_PASSWORD)@{BROKER}:5672/"),
    ]


def environment(w: Workload) -> list[Obj]:
    """The service's settings: secrets from the Secret (the broker's from the operator's), configuration from the
    ConfigMap, the pod's name."""
    sources = {"secret": from_secret, "config": from_config, "value": value}
    env: list[Obj] = []
    for s in settings(w):
        if s.source == "instance":
            env.append(from_field(s.name, "metadata.name"))
        elif s.source == "broker":
            env += broker_url(s.name)
        else:
            env.append(sources[s.source](s.name, s.ref))
    return env


def container(w: Workload) -> Obj:
    """The service's container: the shared image, its command, probes and resources."""
    if w.http:
        port, ready, alive = HTTP_PORT, "/readyz", "/healthz"
    else:  # a worker serves only Prometheus metrics: that it answers is what liveness can say
        port, ready, alive = METRICS_PORT, "/metrics", "/metrics"
    return {
        "name": w.name,
        "image": IMAGE,
        "command": serve_command(w),
        "ports": [{"name": "http" if w.http else "metrics", "containerPort": port}],
        "env": environment(w),
        "readinessProbe": http_probe(ready, port, period_s=5, failures=3),
        "livenessProbe": http_probe(alive, port, period_s=10, failures=3),
        "startupProbe": http_probe(alive, port, period_s=2, failures=30),
        # A slicer needs a core and memory for the model; an API mostly waits on I/O.
        "resources": resources(("250m", "1"), ("256Mi", "512Mi")) if w.http else resources(("1", "2"), ("1Gi", "2Gi")),
        "securityContext": RESTRICTED_CONTAINER,
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}]
        + ([] if w.http else [{"name": "cache", "mountPath": PRICING_CACHE_DIR}]),
    }


def migrations(w: Workload) -> list[Obj]:
    """An init container bringing the service's database to the newest schema (replicas take turns: the
    migration holds a PostgreSQL advisory lock, system/kernel/db.py)."""
    if not w.spec.migrations:
        return []
    return [{
        "name": "migrate",
        "image": IMAGE,
        "command": migrate_command(w),
        "env": [from_secret(f"{w.prefix}_DATABASE_URL", f"{w.name}-database-url")],
        "resources": resources(("100m", "500m"), ("128Mi", "256Mi")),
        "securityContext": RESTRICTED_CONTAINER,
    }]  # fmt: skip


def deployment(w: Workload) -> Obj:
    scrape = {"prometheus.io/scrape": "true", "prometheus.io/port": str(HTTP_PORT if w.http else METRICS_PORT)}
    pod_meta = {"labels": labels(w.name, component(w)), "annotations": scrape}
    volumes: list[Obj] = [{"name": "tmp", "emptyDir": {}}]
    if not w.http:
        volumes.append({"name": "cache", "emptyDir": {"sizeLimit": "2Gi"}})
    # No `replicas`: the autoscaler owns the count (from w.replicas up), and an apply would reset it mid-job.
    return resource("apps/v1", "Deployment", w.name, component(w), {
        "selector": {"matchLabels": selector(w.name)},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
        "template": {
            "metadata": pod_meta,
            "spec": {
                "securityContext": RESTRICTED_POD,
                "automountServiceAccountToken": False,
                # A pricing job checkpoints after each orientation; a stopped worker's job resumes elsewhere.
                "terminationGracePeriodSeconds": 30,
                "initContainers": migrations(w),
                "containers": [container(w)],
                "volumes": volumes,
                "topologySpreadConstraints": [{
                    "maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway",
                    "labelSelector": {"matchLabels": selector(w.name)},
                }],
            },
        },
    })  # fmt: skip


def service(w: Workload) -> Obj:
    ports = [{"name": "http", "port": HTTP_PORT, "targetPort": "http"}]
    return resource("v1", "Service", w.name, component(w), {"selector": selector(w.name), "ports": ports})


def disruption_budget(w: Workload) -> Obj:
    # An API keeps one pod through a drain; a pricing worker may go (its job resumes elsewhere from its
    # checkpoint), or a drain would wait forever on a single worker.
    budget = {"minAvailable": 1} if w.http else {"maxUnavailable": 1}
    spec = {**budget, "selector": {"matchLabels": selector(w.name)}}
    return resource("policy/v1", "PodDisruptionBudget", w.name, component(w), spec)


def autoscaler(w: Workload) -> Obj:
    """CPU-based for the APIs."""
    return resource("autoscaling/v2", "HorizontalPodAutoscaler", w.name, component(w), {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": w.name},
        "minReplicas": w.replicas,
        "maxReplicas": w.max_replicas,
        "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": CPU_TARGET}}],
    })  # fmt: skip


def queue_scaler(w: Workload) -> list[Obj]:
    """KEDA: workers follow the depth of pricing.requests, counted through the broker's HTTP API so that the jobs
    being sliced (unacknowledged) count too: over AMQP only the waiting ones would, and a busy pool would be
    scaled down mid-job. The API's address is in our Secret, the operator's user in its own."""
    auth = resource("keda.sh/v1alpha1", "TriggerAuthentication", f"{w.name}-broker", component(w), {
        "secretTargetRef": [
            {"parameter": "host", "name": SECRETS, "key": BROKER_MANAGEMENT_URL},
            {"parameter": "username", "name": BROKER_USER_SECRET, "key": "username"},
            {"parameter": "password", "name": BROKER_USER_SECRET, "key": "password"},
        ],
    })  # fmt: skip
    scaled = resource("keda.sh/v1alpha1", "ScaledObject", w.name, component(w), {
        "scaleTargetRef": {"name": w.name},
        "minReplicaCount": w.replicas,
        "maxReplicaCount": w.max_replicas,
        "pollingInterval": 15,
        "cooldownPeriod": 300,  # a worker stopped early only gives its job back: no reason to be hasty
        "triggers": [{
            "type": "rabbitmq",
            "metadata": {"protocol": "http", "queueName": PRICING_REQUESTS.name, "mode": "QueueLength",
                         "value": str(PRICING_BACKLOG_PER_WORKER)},
            "authenticationRef": {"name": auth["metadata"]["name"]},
        }],
    })  # fmt: skip
    return [auth, scaled]


def objects(w: Workload) -> list[Obj]:
    """Everything one service needs."""
    scaling = [autoscaler(w)] if w.http else queue_scaler(w)
    return [deployment(w), *([service(w)] if w.http else []), disruption_budget(w), *scaling]


def broker_cluster() -> Obj:
    """Three RabbitMQ nodes through the Cluster Operator; our code declares quorum queues (x-queue-type)."""
    return resource("rabbitmq.com/v1beta1", "RabbitmqCluster", BROKER, "broker", {
        "image": BROKER_IMAGE,
        "replicas": 3,
        "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "2Gi"}},
        "persistence": {"storage": "10Gi"},
        "rabbitmq": {
            "additionalConfig": "\n".join([
                f"consumer_timeout = {CONSUMER_TIMEOUT_MS}",
                "cluster_partition_handling = pause_minority",
            ]) + "\n",
            "additionalPlugins": ["rabbitmq_prometheus"],
        },
    })  # fmt: skip
