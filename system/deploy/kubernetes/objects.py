"""Small builders of Kubernetes objects as plain dicts: metadata, labels, environment entries, probes."""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]
PART_OF = "layerworks"
CONFIG = "layerworks-config"  # ConfigMap: endpoints and names that differ per environment
SECRETS = "layerworks-secrets"  # Secret: credentials, created by the overlay or by the cluster's secret manager
IMAGE = "layerworks/services"  # one image for every service (Dockerfile); the overlay sets its tag


def labels(name: str, component: str) -> dict[str, str]:
    """The recommended labels; `app.kubernetes.io/name` alone selects a workload's pods."""
    return {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": PART_OF,
    }


def selector(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name}


def meta(name: str, component: str) -> Obj:
    return {"name": name, "labels": labels(name, component)}


def resource(api_version: str, kind: str, name: str, component: str, spec: Obj) -> Obj:
    """An object of the namespace with the recommended labels."""
    return {"apiVersion": api_version, "kind": kind, "metadata": meta(name, component), "spec": spec}


def value(name: str, text: str) -> Obj:
    return {"name": name, "value": text}


def from_secret(name: str, key: str, secret: str = SECRETS) -> Obj:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def from_config(name: str, key: str) -> Obj:
    return {"name": name, "valueFrom": {"configMapKeyRef": {"name": CONFIG, "key": key}}}


def from_field(name: str, path: str) -> Obj:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}


def http_probe(path: str, port: int, period_s: int, failures: int) -> Obj:
    return {"httpGet": {"path": path, "port": port}, "periodSeconds": period_s, "failureThreshold": failures,
            "timeoutSeconds": 3}  # fmt: skip


def resources(cpu: tuple[str, str], memory: tuple[str, str]) -> Obj:
    """Requests and limits: (request, limit) of each."""
    return {"requests": {"cpu": cpu[0], "memory": memory[0]}, "limits": {"cpu": cpu[1], "memory": memory[1]}}


RESTRICTED_CONTAINER: Obj = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
}
RESTRICTED_POD: Obj = {
    "runAsNonRoot": True,
    "runAsUser": 10001,  # the image's `app` user
    "runAsGroup": 10001,
    "fsGroup": 10001,
    "seccompProfile": {"type": "RuntimeDefault"},
}
