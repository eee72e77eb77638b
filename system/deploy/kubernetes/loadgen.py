"""The load generator (system/deploy/loadgen.py) as a Kustomize directory of its own, `load/`, beside the base
and not in it: deploying the system never starts a load.

A Job runs the master (the load suite: it waits for the workers, runs the profile and judges it), a Job of
`WORKERS` pods runs the workers, a Service names the master's port, a claim keeps the runs, and network
policies (network.load_policies) let the workers reach the master and the APIs through the base's default deny.
Every pod meets the restricted Pod Security Standard, as the system's do.
"""

from __future__ import annotations

from system.deploy.kubernetes.objects import (
    RESTRICTED_CONTAINER,
    RESTRICTED_POD,
    Obj,
    labels,
    resource,
    resources,
    selector,
    value,
)
from system.deploy.loadgen import (
    APP_DIR,
    DEFAULT_PROFILE,
    LOAD_IMAGE,
    MASTER,
    PORT,
    RESULTS_DIR,
    WORKER,
    WORKERS,
    master_command,
    target_urls,
    worker,
)

COMPONENT = "load"
RESULTS = "locust-results"  # the claim the master writes its runs to
TMP: Obj = {"name": "tmp", "emptyDir": {}}


def _container(name: str, command: list[str], cpu: tuple[str, str], memory: tuple[str, str]) -> Obj:
    return {
        "name": name,
        "image": LOAD_IMAGE,
        "command": command,
        "workingDir": str(APP_DIR),
        "resources": resources(cpu, memory),
        "securityContext": RESTRICTED_CONTAINER,
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }


def _job(name: str, container: Obj, volumes: list[Obj], restart: str, spec: Obj) -> Obj:
    pod = {
        "securityContext": RESTRICTED_POD,
        "automountServiceAccountToken": False,
        "restartPolicy": restart,
        "containers": [container],
        "volumes": volumes,
    }
    template = {"metadata": {"labels": labels(name, COMPONENT)}, "spec": pod}
    return resource("batch/v1", "Job", name, COMPONENT, {**spec, "template": template})


def master_job() -> Obj:
    """The load suite as the master; a run is a measurement, so a failed one is not run again (backoffLimit 0)."""
    container = _container(MASTER, master_command(str(WORKERS)), ("250m", "1"), ("256Mi", "1Gi"))
    settings = {"LOAD_PROFILE": DEFAULT_PROFILE, **target_urls(), "QA_RUNS_DIR": RESULTS_DIR}
    container["env"] = [value(name, text) for name, text in settings.items()]
    container["ports"] = [{"name": "locust", "containerPort": PORT}]
    container["volumeMounts"].append({"name": "results", "mountPath": RESULTS_DIR})
    volumes = [TMP, {"name": "results", "persistentVolumeClaim": {"claimName": RESULTS}}]
    return _job(MASTER, container, volumes, "Never", {"backoffLimit": 0})


def worker_job() -> Obj:
    """WORKERS workers; each ends when the master quits, and one that fails is started again (it reconnects)."""
    container = _container(WORKER, worker(), ("500m", "1"), ("256Mi", "512Mi"))  # Locust: one core a process
    spec = {"parallelism": WORKERS, "completions": WORKERS, "backoffLimit": WORKERS}
    return _job(WORKER, container, [TMP], "OnFailure", spec)


def master_service() -> Obj:
    ports = [{"name": "locust", "port": PORT, "targetPort": "locust"}]
    return resource("v1", "Service", MASTER, COMPONENT, {"selector": selector(MASTER), "ports": ports})


def results_claim() -> Obj:
    spec = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    return resource("v1", "PersistentVolumeClaim", RESULTS, COMPONENT, spec)


def objects() -> list[Obj]:
    """The load generator's objects, network policies aside."""
    return [results_claim(), master_service(), master_job(), worker_job()]
