"""The Kubernetes deployment: the committed base is what the code generates, Kustomize renders the overlay, every
object is valid for the API versions we support (offline), and the rendered whole keeps the rules issue 12 sets:
probes, limits, disruption budgets, autoscalers, a broker cluster, and network policies that let each service
reach only what DESIGN.md says it talks to. The load generator (`load/`, rendered by `overlays/example-load`)
is held to the same schemas and security context, its master waits for the workers started, and its policies
let the workers through the default deny to the master and the APIs only."""

from __future__ import annotations

import base64
import copy
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import pytest
import yaml

from system.deploy import loadgen
from system.deploy.kubernetes.manifests import BASE_DIR, GENERATED, KUBERNETES_DIR
from system.deploy.kubernetes.network import BROKER_MANAGEMENT_PORT
from system.deploy.topology import S3_PORTS
from system.kernel.messaging.queues import PRICING_REQUESTS
from system.pricing.settings import PricingSettings
from tests.fixtures import load_generator
from tests.fixtures.kubernetes_crds import SCHEMAS
from tests.fixtures.service_settings import SETTINGS, unread_and_missing

Obj = dict[str, Any]
OVERLAY = BASE_DIR.parent / "overlays" / "example"
LOAD_OVERLAY = OVERLAY.with_name("example-load")
NAMESPACE = "layerworks"  # the example overlay's
# The keys of the Secret `<cluster>-default-user` the RabbitMQ Cluster Operator makes.
OPERATOR_KEYS = ("username", "password", "host", "port")
# The oldest Kubernetes release still supported upstream when this was written, and the newest the validator knows.
VERSIONS = ("1.32.0", "1.37.0")
# DESIGN.md "Services and data ownership", talks-to column, as pod-to-pod traffic (the Shop's operator console
# also reads MES). PostgreSQL and S3 are outside the namespace, reached by port.
TALKS_TO = {
    "shop": {"crm", "mes", "files"},
    "crm": {"files", "rabbitmq"},
    "mes": {"rabbitmq"},
    "pricing": {"files", "rabbitmq"},
    "files": set(),
}


def render(overlay: Path = OVERLAY) -> list[Obj]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl (Debian's kubernetes-client) is not installed: Kustomize cannot render the overlay")
    out = subprocess.run([kubectl, "kustomize", str(overlay)], capture_output=True, text=True, check=True).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


@pytest.fixture(scope="module")
def rendered() -> list[Obj]:
    return render()


@pytest.fixture(scope="module")
def load_rendered() -> list[Obj]:
    return render(LOAD_OVERLAY)


def of_kind(objects: list[Obj], kind: str) -> dict[str, Obj]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def problems(objects: list[Obj]) -> list[str]:
    """What a Deployment lacks: probes on /readyz and /healthz (an API), limits, a disruption budget, a scaler."""
    found = []
    budgets = {
        tuple(sorted(b["spec"]["selector"]["matchLabels"].items()))
        for b in of_kind(objects, "PodDisruptionBudget").values()
    }
    scaled = {h["spec"]["scaleTargetRef"]["name"]: h["spec"]["minReplicas"]
              for h in of_kind(objects, "HorizontalPodAutoscaler").values()}  # fmt: skip
    scaled |= {s["spec"]["scaleTargetRef"]["name"]: s["spec"]["minReplicaCount"]
               for s in of_kind(objects, "ScaledObject").values()}  # fmt: skip
    for name, deployment in of_kind(objects, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        for container in pod["containers"] + pod.get("initContainers", []):
            limits = container.get("resources", {})
            if not {"cpu", "memory"} <= set(limits.get("requests", {})) & set(limits.get("limits", {})):
                found.append(f"{name}/{container['name']}: no cpu and memory requests and limits")
        main = pod["containers"][0]
        api = any(p.get("name") == "http" for p in main.get("ports", []))
        for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
            if probe not in main or (api and main[probe].get("httpGet", {}).get("path") != path):
                found.append(f"{name}: no {probe}" + (f" on {path}" if api else ""))
        if tuple(sorted(deployment["spec"]["selector"]["matchLabels"].items())) not in budgets:
            found.append(f"{name}: no PodDisruptionBudget")
        if name not in scaled:
            found.append(f"{name}: no autoscaler")
        elif "replicas" in deployment["spec"]:
            found.append(f"{name}: replicas set beside its autoscaler (each apply resets the count)")
        elif scaled[name] < 2 and name != "pricing":
            found.append(f"{name}: a single replica")
    return found


def reach(objects: list[Obj]) -> tuple[dict[str, set[str]], dict[str, set[str] | None]]:
    """From the NetworkPolicies: which pods each workload may send to, and which may reach it (None: anyone)."""
    egress: dict[str, set[str]] = {}
    ingress: dict[str, set[str] | None] = {}
    for policy in of_kind(objects, "NetworkPolicy").values():
        target = policy["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/name")
        if target is None:
            continue
        for rule in policy["spec"].get("egress", []):
            pods = [
                peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
                for peer in rule.get("to", [])
                if "podSelector" in peer and "namespaceSelector" not in peer
            ]
            egress.setdefault(target, set()).update(pods)
        for rule in policy["spec"].get("ingress", []):
            if "from" not in rule:
                ingress[target] = None
                continue
            pods = {
                peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
                for peer in rule["from"]
                if "podSelector" in peer
            }
            if ingress.get(target, set()) is not None:
                ingress.setdefault(target, set()).update(pods)  # type: ignore[union-attr]
    return egress, ingress


def pods(objects: list[Obj]) -> dict[str, Obj]:
    """The pod template of every Deployment and Job, by its owner's name."""
    return {o["metadata"]["name"]: o["spec"]["template"]["spec"] for o in objects if o["kind"] in {"Deployment", "Job"}}


def unrestricted(objects: list[Obj]) -> list[str]:
    """What a pod lacks of the restricted Pod Security Standard as every pod here meets it: non-root, the
    runtime's seccomp profile, no privilege escalation, no capabilities, a read-only root filesystem."""
    found = []
    for name, pod in pods(objects).items():
        context = pod.get("securityContext", {})
        if context.get("runAsNonRoot") is not True or context.get("seccompProfile") != {"type": "RuntimeDefault"}:
            found.append(f"{name}: may run as root or unconfined")
        for container in pod["containers"] + pod.get("initContainers", []):
            c = container.get("securityContext", {})
            if c.get("allowPrivilegeEscalation") is not False or c.get("capabilities") != {"drop": ["ALL"]}:
                found.append(f"{name}/{container['name']}: may escalate or keeps capabilities")
            if c.get("readOnlyRootFilesystem") is not True:
                found.append(f"{name}/{container['name']}: a writable root filesystem")
    return found


def distributed(load: list[Obj], system: list[Obj]) -> load_generator.Distributed:
    """The load generator of a rendering: the Job running the load suite, the Job of Locust workers, the
    Services selecting the master's pods, and the APIs' Services of the system beside it."""
    jobs = {name: pod["containers"][0] for name, pod in pods(load).items()}
    [master] = [name for name, c in jobs.items() if c["command"][:3] == ["python", "-m", "load.suite"]]
    [worker] = [name for name in jobs if name != master]
    master_labels = of_kind(load, "Job")[master]["spec"]["template"]["metadata"]["labels"]
    named = {p["name"]: p["containerPort"] for p in jobs[master].get("ports", [])}
    master_ports = {
        name: port["port"]
        for name, service in of_kind(load, "Service").items()
        if service["spec"]["selector"].items() <= master_labels.items()
        for port in service["spec"]["ports"]
        if named.get(port["targetPort"], port["targetPort"]) in named.values()
    }
    worker_job = of_kind(load, "Job")[worker]["spec"]
    return load_generator.Distributed(
        master=jobs[master]["command"],
        worker=jobs[worker]["command"],
        started=min(worker_job.get("parallelism", 1), worker_job.get("completions", 1)),
        master_ports=master_ports,
        env={e["name"]: e.get("value") for e in jobs[master].get("env", [])},
        apis={name: s["spec"]["ports"][0]["port"] for name, s in of_kind(system, "Service").items()},
    )


def test_the_committed_manifests_are_what_the_code_generates() -> None:
    assert GENERATED.stale(KUBERNETES_DIR) == [], "run `python -m system.deploy.kubernetes` and commit the result"


@pytest.mark.parametrize("version", VERSIONS)
def test_every_built_in_object_is_valid_for_the_kubernetes_api(
    rendered: list[Obj], load_rendered: list[Obj], version: str
) -> None:
    built_in = [o for o in rendered + load_rendered if (o["apiVersion"], o["kind"]) not in SCHEMAS]
    assert {o["kind"] for o in built_in} >= {"Deployment", "Service", "PodDisruptionBudget", "NetworkPolicy", "Job"}
    for obj in built_in:
        kubernetes_validate.validate(obj, version, strict=True)  # raises, naming the field


def test_every_custom_resource_matches_its_operator_s_schema(rendered: list[Obj]) -> None:
    custom = [o for o in rendered if (o["apiVersion"], o["kind"]) in SCHEMAS]
    assert {o["kind"] for o in custom} == {"ScaledObject", "TriggerAuthentication", "RabbitmqCluster"}
    for obj in custom:
        jsonschema.validate(obj, SCHEMAS[obj["apiVersion"], obj["kind"]])


def test_the_validators_reject_a_misspelt_field(rendered: list[Obj]) -> None:
    scaled = copy.deepcopy(of_kind(rendered, "ScaledObject")["pricing"])
    scaled["spec"]["minReplicas"] = scaled["spec"].pop("minReplicaCount")  # the HPA's spelling: KEDA ignores it
    with pytest.raises(jsonschema.ValidationError, match="minReplicas"):
        jsonschema.validate(scaled, SCHEMAS[scaled["apiVersion"], "ScaledObject"])
    deployment = copy.deepcopy(of_kind(rendered, "Deployment")["crm"])
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError, match="readinesProbe"):
        kubernetes_validate.validate(deployment, VERSIONS[-1], strict=True)


def test_every_deployment_is_probed_limited_budgeted_and_scaled(rendered: list[Obj]) -> None:
    assert sorted(of_kind(rendered, "Deployment")) == sorted(SETTINGS)
    assert problems(rendered) == []


def test_the_checker_names_what_a_broken_deployment_lacks(rendered: list[Obj]) -> None:
    broken = copy.deepcopy(rendered)
    deployments = of_kind(broken, "Deployment")
    del deployments["crm"]["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
    deployments["shop"]["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["path"] = "/"
    del deployments["files"]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    deployments["files"]["spec"]["replicas"] = 2
    of_kind(broken, "HorizontalPodAutoscaler")["mes"]["spec"]["minReplicas"] = 1
    broken = [o for o in broken if not (o["kind"] == "PodDisruptionBudget" and o["metadata"]["name"] == "mes")]
    broken = [o for o in broken if o["kind"] != "ScaledObject"]
    assert sorted(problems(broken)) == [
        "crm: no readinessProbe on /readyz",
        "files/files: no cpu and memory requests and limits",
        "files: replicas set beside its autoscaler (each apply resets the count)",
        "mes: a single replica",
        "mes: no PodDisruptionBudget",
        "pricing: no autoscaler",
        "shop: no livenessProbe on /healthz",
    ]


def test_each_service_reaches_only_what_it_talks_to_and_only_the_shop_is_public(rendered: list[Obj]) -> None:
    egress, ingress = reach(rendered)
    assert {name: egress.get(name, set()) for name in TALKS_TO} == TALKS_TO
    callers = {name: {c for c, callees in TALKS_TO.items() if name in callees} for name in [*TALKS_TO, "rabbitmq"]}
    assert ingress.pop("shop") is None, "the Shop admits anyone (the ingress controller)"
    assert all(sources is not None for sources in ingress.values()), "only the Shop is public"
    assert {name: sources for name, sources in ingress.items() if sources} == {
        name: sources | ({"rabbitmq"} if name == "rabbitmq" else set())  # the broker's nodes talk to each other
        for name, sources in callers.items()
        if name != "shop" and sources | ({"rabbitmq"} if name == "rabbitmq" else set())
    }


def test_the_namespace_denies_by_default(rendered: list[Obj]) -> None:
    deny = of_kind(rendered, "NetworkPolicy")["default-deny"]["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [], "egress": []}


def test_every_variable_set_is_one_the_service_reads_and_every_required_one_is_set(rendered: list[Obj]) -> None:
    for name, deployment in of_kind(rendered, "Deployment").items():
        variables = [e["name"] for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]]
        assert unread_and_missing(name, variables) == (set(), set()), name


def test_pricing_workers_scale_on_the_depth_of_their_queue(rendered: list[Obj]) -> None:
    scaled = of_kind(rendered, "ScaledObject")["pricing"]["spec"]
    [trigger] = scaled["triggers"]
    assert scaled["scaleTargetRef"]["name"] == "pricing" and "pricing" in of_kind(rendered, "Deployment")
    assert (trigger["type"], trigger["metadata"]["queueName"]) == ("rabbitmq", PRICING_REQUESTS.name)
    assert trigger["metadata"]["mode"] == "QueueLength"
    # Over AMQP KEDA sees only the waiting messages: a pool busy slicing an empty queue would be scaled down.
    assert trigger["metadata"]["protocol"] == "http" and trigger["metadata"].get("excludeUnacknowledged") != "true"
    auth = of_kind(rendered, "TriggerAuthentication")[trigger["authenticationRef"]["name"]]["spec"]
    refs = {ref["parameter"]: ref for ref in auth["secretTargetRef"]}
    assert missing_secrets(rendered, [(ref["name"], ref["key"]) for ref in refs.values()]) == []
    host = base64.b64decode(of_kind(rendered, "Secret")[refs["host"]["name"]]["data"][refs["host"]["key"]]).decode()
    # KEDA polls from its own namespace: the broker's short name would not resolve there.
    assert urlsplit(host).hostname == f"rabbitmq.{NAMESPACE}.svc" and urlsplit(host).port == BROKER_MANAGEMENT_PORT
    assert {"username", "password"} <= set(refs), "the operator's user, not a made-up one"
    assert "pricing" not in {
        h["spec"]["scaleTargetRef"]["name"] for h in of_kind(rendered, "HorizontalPodAutoscaler").values()
    }


def missing_secrets(objects: list[Obj], refs: list[tuple[str, str]]) -> list[str]:
    """The (Secret, key) pairs that neither the deployment nor the Cluster Operator (its default user) makes."""
    made = {(name, key) for name, s in of_kind(objects, "Secret").items() for key in s.get("data", {})}
    made |= {(f"{name}-default-user", key) for name in of_kind(objects, "RabbitmqCluster") for key in OPERATOR_KEYS}
    return [f"{name}/{key}" for name, key in refs if (name, key) not in made]


def secret_refs(objects: list[Obj]) -> list[tuple[str, str]]:
    """Every (Secret, key) a container's environment reads."""
    return [
        (ref["name"], ref["key"])
        for pod in pods(objects).values()
        for c in pod["containers"] + pod.get("initContainers", [])
        for e in c.get("env", [])
        if (ref := e.get("valueFrom", {}).get("secretKeyRef"))
    ]


def test_every_secret_a_pod_reads_exists_and_the_broker_login_is_the_operator_s(rendered: list[Obj]) -> None:
    assert missing_secrets(rendered, secret_refs(rendered)) == []
    for name in ("crm", "mes", "pricing"):
        env = of_kind(rendered, "Deployment")[name]["spec"]["template"]["spec"]["containers"][0]["env"]
        names = [e["name"] for e in env]
        url = next(e["value"] for e in env if e["name"] == f"{name.upper()}_AMQP_URL")
        # Kubernetes expands $(VAR) only from entries defined before it: else the text stays as it is.
        used = re.findall(r"\$\((\w+)\)", url)
        assert used and all(names.index(var) < names.index(f"{name.upper()}_AMQP_URL") for var in used), url
        assert {(e["name"], e["valueFrom"]["secretKeyRef"]["name"]) for e in env if e["name"] in used} == {
            (var, "rabbitmq-default-user") for var in used
        }


def test_the_secret_checker_names_a_key_nobody_makes(rendered: list[Obj]) -> None:
    assert missing_secrets(rendered, [("layerworks-secrets", "amqp-url"), ("rabbitmq-default-user", "token")]) == [
        "layerworks-secrets/amqp-url",
        "rabbitmq-default-user/token",
    ]


def test_who_moves_bytes_through_presigned_urls_reaches_s3(rendered: list[Obj]) -> None:
    reaches_s3 = {
        name
        for name, policy in of_kind(rendered, "NetworkPolicy").items()
        for rule in policy["spec"].get("egress", [])
        if "to" not in rule and {p["port"] for p in rule["ports"]} == set(S3_PORTS)
    }
    # The File Service holds the bucket; the Shop relays uploads and downloads; pricing fetches the model.
    assert reaches_s3 == {"files", "shop", "pricing"}


def test_the_broker_admits_keda_on_its_management_api_and_reaches_the_api_server(rendered: list[Obj]) -> None:
    spec = of_kind(rendered, "NetworkPolicy")["rabbitmq"]["spec"]
    keda = [rule for rule in spec["ingress"] if rule["from"][0].get("namespaceSelector", {}).get("matchLabels") ==
            {"kubernetes.io/metadata.name": "keda"}]  # fmt: skip
    assert [p["port"] for rule in keda for p in rule["ports"]] == [BROKER_MANAGEMENT_PORT]
    broker = of_kind(rendered, "RabbitmqCluster")["rabbitmq"]["spec"]
    if broker["image"].split(":")[1] < "4.1":  # before 4.1 the peer discovery asks the API server for the nodes
        assert any("to" not in rule and {p["port"] for p in rule["ports"]} >= {443} for rule in spec["egress"])


def test_the_broker_is_three_nodes_that_outwait_the_longest_pricing_job(rendered: list[Obj]) -> None:
    broker = of_kind(rendered, "RabbitmqCluster")["rabbitmq"]["spec"]
    assert broker["replicas"] == 3
    config = dict(line.split(" = ") for line in broker["rabbitmq"]["additionalConfig"].splitlines())
    job_timeout_ms = PricingSettings.model_fields["job_timeout_s"].default * 1000
    assert int(config["consumer_timeout"]) > job_timeout_ms


def test_a_drain_keeps_one_pod_of_each_api_and_may_move_a_pricing_worker(rendered: list[Obj]) -> None:
    budgets = {name: b["spec"] for name, b in of_kind(rendered, "PodDisruptionBudget").items()}
    assert budgets.pop("pricing")["maxUnavailable"] == 1, "a lone worker must not block a node drain"
    assert {name: spec.get("minAvailable") for name, spec in budgets.items()} == dict.fromkeys(budgets, 1)


def test_every_pod_meets_the_restricted_pod_security_standard(rendered: list[Obj], load_rendered: list[Obj]) -> None:
    assert len(pods(rendered + load_rendered)) == len(SETTINGS) + 2
    assert unrestricted(rendered + load_rendered) == []


def test_the_load_generator_is_beside_the_system_not_in_it(rendered: list[Obj], load_rendered: list[Obj]) -> None:
    assert not {o["metadata"]["name"] for o in rendered} & {loadgen.MASTER, loadgen.WORKER}
    assert {o["metadata"].get("namespace") for o in load_rendered} == {"layerworks"}, "the example's namespace"
    assert {
        o["metadata"]["labels"]["app.kubernetes.io/component"] for o in load_rendered if "labels" in o["metadata"]
    } == {"load"}


def test_the_load_master_waits_for_the_workers_started_and_loads_the_system_s_apis(
    rendered: list[Obj], load_rendered: list[Obj]
) -> None:
    assert load_generator.problems(distributed(load_rendered, rendered)) == []
    master = pods(load_rendered)[loadgen.MASTER]
    assert (
        master["restartPolicy"] == "Never"
        and of_kind(load_rendered, "Job")[loadgen.MASTER]["spec"]["backoffLimit"] == 0
    )
    [results] = [v for v in master["volumes"] if "persistentVolumeClaim" in v]
    assert results["persistentVolumeClaim"]["claimName"] in of_kind(load_rendered, "PersistentVolumeClaim")


def test_the_load_generator_reaches_its_master_and_the_apis_only(rendered: list[Obj], load_rendered: list[Obj]) -> None:
    egress, ingress = reach(rendered + load_rendered)
    assert egress[loadgen.WORKER] == {loadgen.MASTER, *loadgen.TARGETS} and not egress.get(loadgen.MASTER)
    assert ingress[loadgen.MASTER] == {loadgen.WORKER} and loadgen.WORKER not in ingress
    assert all(loadgen.WORKER in (ingress[api] or set()) for api in loadgen.TARGETS)
    assert {name: egress.get(name, set()) for name in TALKS_TO} == TALKS_TO, "the system's own paths are unchanged"


def test_the_checkers_name_what_a_broken_load_generator_lacks(rendered: list[Obj], load_rendered: list[Obj]) -> None:
    broken = copy.deepcopy(load_rendered)
    jobs = pods(broken)
    worker = jobs[loadgen.WORKER]["containers"][0]["command"]
    del worker[worker.index("--master-host") : worker.index("--master-host") + 2]
    of_kind(broken, "Job")[loadgen.WORKER]["spec"]["parallelism"] = 8
    of_kind(broken, "Job")[loadgen.WORKER]["spec"]["completions"] = 8
    del jobs[loadgen.MASTER]["containers"][0]["securityContext"]["readOnlyRootFilesystem"]
    assert load_generator.problems(distributed(broken, rendered)) == [
        "master: waits for 4 workers, 8 started",
        "worker: no --master-host (it would look for its master on itself)",
    ]
    assert unrestricted(broken) == [f"{loadgen.MASTER}/{loadgen.MASTER}: a writable root filesystem"]
    worker[worker.index("--worker") + 1 :] = ["--master-host", "locust"]  # no Service is called that
    assert "worker: nothing answers as the master at locust:5557" in load_generator.problems(
        distributed(broken, rendered)
    )
