"""The Kubernetes deployment: the committed base is what the code generates, Kustomize renders the overlay, every
object is valid for the API versions we support (offline), and the rendered whole keeps the rules issue 12 sets:
probes, limits, disruption budgets, autoscalers, a broker cluster, and network policies that let each service
reach only what DESIGN.md says it talks to."""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from system.deploy.kubernetes.manifests import BASE_DIR, GENERATED
from system.kernel.messaging.queues import PRICING_REQUESTS
from system.pricing.settings import PricingSettings
from tests.fixtures.kubernetes_crds import SCHEMAS
from tests.fixtures.service_settings import SETTINGS, unread_and_missing

Obj = dict[str, Any]
OVERLAY = BASE_DIR.parent / "overlays" / "example"
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


def of_kind(objects: list[Obj], kind: str) -> dict[str, Obj]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def problems(objects: list[Obj]) -> list[str]:
    """What a Deployment lacks: probes on /readyz and /healthz (an API), limits, a disruption budget, a scaler."""
    found = []
    budgets = {
        tuple(sorted(b["spec"]["selector"]["matchLabels"].items()))
        for b in of_kind(objects, "PodDisruptionBudget").values()
    }
    scaled = {h["spec"]["scaleTargetRef"]["name"] for h in of_kind(objects, "HorizontalPodAutoscaler").values()}
    scaled |= {s["spec"]["scaleTargetRef"]["name"] for s in of_kind(objects, "ScaledObject").values()}
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
        if deployment["spec"]["replicas"] < 2 and name != "pricing":
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


def test_the_committed_base_is_what_the_code_generates() -> None:
    assert GENERATED.stale(BASE_DIR) == [], "run `python -m system.deploy.kubernetes` and commit the base"


@pytest.mark.parametrize("version", VERSIONS)
def test_every_built_in_object_is_valid_for_the_kubernetes_api(rendered: list[Obj], version: str) -> None:
    built_in = [o for o in rendered if (o["apiVersion"], o["kind"]) not in SCHEMAS]
    assert {o["kind"] for o in built_in} >= {"Deployment", "Service", "PodDisruptionBudget", "NetworkPolicy"}
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
    deployments["mes"]["spec"]["replicas"] = 1
    broken = [o for o in broken if not (o["kind"] == "PodDisruptionBudget" and o["metadata"]["name"] == "mes")]
    broken = [o for o in broken if o["kind"] != "ScaledObject"]
    assert sorted(problems(broken)) == [
        "crm: no readinessProbe on /readyz",
        "files/files: no cpu and memory requests and limits",
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
    auth = of_kind(rendered, "TriggerAuthentication")[trigger["authenticationRef"]["name"]]["spec"]
    secret = of_kind(rendered, "Secret")[auth["secretTargetRef"][0]["name"]]
    assert auth["secretTargetRef"][0]["key"] in secret["data"], "the broker address KEDA reads exists"
    assert "pricing" not in {
        h["spec"]["scaleTargetRef"]["name"] for h in of_kind(rendered, "HorizontalPodAutoscaler").values()
    }


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
