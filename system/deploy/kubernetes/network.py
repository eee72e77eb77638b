"""NetworkPolicies: nothing moves unless DESIGN.md says these two talk (topology.py holds the table).

A default deny covers the namespace; each workload then admits its callers (the Shop: anyone) and Prometheus,
and reaches only its callees, the broker, its database, S3 and the trace collector. PostgreSQL and S3 live
outside the namespace (a managed service or an operator's cluster), so they are allowed by port. The load
generator's policies (`load_policies`) ship with it in `load/`, not in the base.
"""

from __future__ import annotations

from system.deploy import loadgen
from system.deploy.kubernetes.objects import Obj, selector
from system.deploy.topology import (
    AMQP_PORT,
    BROKER,
    HTTP_PORT,
    METRICS_PORT,
    OTLP_PORT,
    POSTGRES_PORT,
    S3_PORTS,
    WORKLOADS,
    Workload,
    callers,
)

MONITORING = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
OBSERVABILITY = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "observability"}}}
KEDA = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "keda"}}}
BROKER_INTERNAL_PORTS = (4369, 25672, 5672)  # epmd, Erlang distribution, AMQP between nodes (shovels, CLI)
BROKER_METRICS_PORT = 15692
BROKER_MANAGEMENT_PORT = 15672  # KEDA counts pricing.requests (ready and unacknowledged) through the HTTP API
# RabbitMQ 3.13's Kubernetes peer discovery asks the API server for the other nodes (4.1+ no longer does).
API_SERVER_PORTS = (443, 6443)


def _pods(name: str) -> Obj:
    return {"podSelector": {"matchLabels": selector(name)}}


def _ports(*ports: int) -> list[Obj]:
    return [{"protocol": "TCP", "port": port} for port in ports]


def _policy(name: str, pods: Obj, ingress: list[Obj], egress: list[Obj] | None) -> Obj:
    """A policy on `pods`; without `egress` it only admits more sources (their egress stays as it was)."""
    spec = {"podSelector": pods, "policyTypes": ["Ingress", "Egress"], "ingress": ingress, "egress": egress}
    if egress is None:
        spec = {"podSelector": pods, "policyTypes": ["Ingress"], "ingress": ingress}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name}, "spec": spec}


def default_deny() -> list[Obj]:
    """Deny everything in the namespace, then let every pod resolve names."""
    dns = {"to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
           "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}  # fmt: skip
    return [_policy("default-deny", {}, [], []), _policy("dns", {}, [], [dns])]


def workload_policy(w: Workload) -> Obj:
    """Who may reach `w`, and what `w` may reach."""
    port = HTTP_PORT if w.http else METRICS_PORT
    ingress = [{"from": [MONITORING], "ports": _ports(port)}]
    if w.public:
        ingress.append({"ports": _ports(HTTP_PORT)})  # no `from`: any source, the ingress controller included
    elif w.http:
        ingress.append({"from": [_pods(c.name) for c in callers(w.name)], "ports": _ports(HTTP_PORT)})
    egress = [{"to": [_pods(callee)], "ports": _ports(HTTP_PORT)} for callee in w.calls]
    egress.append({"to": [OBSERVABILITY], "ports": _ports(OTLP_PORT)})
    if w.broker:
        egress.append({"to": [_pods(BROKER)], "ports": _ports(AMQP_PORT)})
    if w.database:
        egress.append({"ports": _ports(POSTGRES_PORT)})
    if w.s3 or w.s3_urls:
        egress.append({"ports": _ports(*S3_PORTS)})
    # A rule with an empty `from` admits every source: a service nobody calls gets no such rule.
    return _policy(w.name, selector_of(w.name), [rule for rule in ingress if rule.get("from") != []], egress)


def broker_policy() -> Obj:
    """The broker's nodes talk among themselves (and find each other through the API server); our services, KEDA
    and Prometheus reach it."""
    users = [_pods(w.name) for w in WORKLOADS if w.broker]
    ingress = [
        {"from": users, "ports": _ports(AMQP_PORT)},
        {"from": [KEDA], "ports": _ports(BROKER_MANAGEMENT_PORT)},
        {"from": [_pods(BROKER)], "ports": _ports(*BROKER_INTERNAL_PORTS)},
        {"from": [MONITORING], "ports": _ports(BROKER_METRICS_PORT)},
    ]
    egress = [{"to": [_pods(BROKER)], "ports": _ports(*BROKER_INTERNAL_PORTS)}, {"ports": _ports(*API_SERVER_PORTS)}]
    return _policy(BROKER, selector_of(BROKER), ingress, egress)


def selector_of(name: str) -> Obj:
    return {"matchLabels": selector(name)}


def load_policies() -> list[Obj]:
    """The load generator through the default deny: workers reach the master and the APIs (and S3, where the
    File Service's presigned URLs send the uploads); each API admits the workers beside its callers."""
    workers = [_pods(loadgen.WORKER)]
    master = _policy(
        loadgen.MASTER, selector_of(loadgen.MASTER), [{"from": workers, "ports": _ports(loadgen.PORT)}], []
    )
    egress = [{"to": [_pods(loadgen.MASTER)], "ports": _ports(loadgen.PORT)}]
    egress += [{"to": [_pods(target)], "ports": _ports(HTTP_PORT)} for target in loadgen.TARGETS]
    egress.append({"ports": _ports(*S3_PORTS)})
    admitted = [
        _policy(f"{target}-from-load", selector_of(target), [{"from": workers, "ports": _ports(HTTP_PORT)}], None)
        for target in loadgen.TARGETS
    ]
    return [master, _policy(loadgen.WORKER, selector_of(loadgen.WORKER), [], egress), *admitted]


def policies() -> list[Obj]:
    """Every NetworkPolicy of the namespace."""
    return [*default_deny(), *(workload_policy(w) for w in WORKLOADS), broker_policy()]
