"""The compose deployment: the committed file is what the code generates, it meets the compose specification
and docker-compose's own checks, refuses to start without its secrets, gives each service the settings it
reads, lets pricing workers scale, and keeps a distributed load generator that starts only when asked for."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from system.crm.settings import CrmSettings
from system.deploy import loadgen
from system.deploy.compose import DEPLOY_DIR, GENERATED, LOAD_PROFILE
from system.deploy.topology import HTTP_PORT, WORKLOADS
from tests.fixtures import load_generator
from tests.fixtures.service_settings import unread_and_missing

COMPOSE = DEPLOY_DIR / "compose.yaml"
EXAMPLE_ENV = DEPLOY_DIR / "compose.env.example"
# Debian's docker-compose 1.29 ships the Compose Specification's schema (scripts/setup.sh installs it).
SPEC = Path("/usr/lib/python3/dist-packages/compose/config/compose_spec.json")


def example_env() -> dict[str, str]:
    lines = [line for line in EXAMPLE_ENV.read_text().splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def docker_compose(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.skip("docker-compose (Debian package) is not installed: its checks of compose.yaml cannot run")
    return subprocess.run(
        [tool, "-f", str(COMPOSE), *args], capture_output=True, text=True, env={"PATH": os.environ["PATH"], **env}
    )


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE.read_text())["services"])


def test_the_committed_compose_files_are_what_the_code_generates() -> None:
    assert GENERATED.stale(DEPLOY_DIR) == [], "run `python -m system.deploy.compose` and commit the result"


def test_the_file_meets_the_compose_specification() -> None:
    if not SPEC.is_file():
        pytest.skip(f"{SPEC} is missing: install Debian's docker-compose (scripts/setup.sh)")
    # The file names draft 2019-09 with a trailing '#' that jsonschema does not recognise: say it outright.
    jsonschema.Draft201909Validator(json.loads(SPEC.read_text())).validate(yaml.safe_load(COMPOSE.read_text()))


def test_docker_compose_accepts_it_with_the_example_environment() -> None:
    checked = docker_compose("config", "-q", env=example_env())
    assert checked.returncode == 0, checked.stderr


def test_it_refuses_to_start_without_its_secrets() -> None:
    env = {k: v for k, v in example_env().items() if k != "AUTH_SECRET"}
    checked = docker_compose("config", "-q", env=env)
    assert checked.returncode != 0 and "set AUTH_SECRET in .env" in checked.stderr


def test_the_demo_accounts_exist_only_where_the_environment_asks_for_them() -> None:
    def seeds(env: dict[str, str]) -> bool:
        rendered = docker_compose("config", env=env)
        assert rendered.returncode == 0, rendered.stderr
        crm = yaml.safe_load(rendered.stdout)["services"]["crm"]["environment"]
        return CrmSettings.model_validate(
            {k.removeprefix("CRM_").lower(): v for k, v in crm.items()}
        ).seed_demo_accounts

    assert seeds(example_env()) is False
    assert seeds({**example_env(), "SEED_DEMO_ACCOUNTS": "true"}) is True  # what the load profile signs in as


def test_every_service_gets_the_settings_it_reads(services: dict[str, Any]) -> None:
    for w in WORKLOADS:
        assert unread_and_missing(w.name, services[w.name]["environment"]) == (set(), set()), w.name


def test_services_run_replicated_non_root_read_only_and_after_their_dependencies(services: dict[str, Any]) -> None:
    for w in WORKLOADS:
        ours = services[w.name]
        assert ours["deploy"]["replicas"] >= 2 and ours["user"] != "0" and ours["read_only"] is True, w.name
        assert "container_name" not in ours and "ports" not in ours, f"{w.name} could not be scaled"
        if w.database:
            assert ours["depends_on"][f"migrate-{w.name}"] == {"condition": "service_completed_successfully"}
        if w.broker:
            assert "rabbitmq" in ours["depends_on"]
    assert [name for name, s in services.items() if "ports" in s and name in {w.name for w in WORKLOADS}] == []


def test_the_migrations_wait_for_postgres_after_its_init_scripts(services: dict[str, Any]) -> None:
    migrations = [name for name, s in services.items() if name.startswith("migrate-")]
    assert migrations and all(
        services[m]["depends_on"]["postgres"] == {"condition": "service_healthy"} for m in migrations
    )
    # The image runs its init scripts (the databases) on a server that listens on the socket only: a check over
    # the socket would call it healthy before the databases exist.
    check = " ".join(services["postgres"]["healthcheck"]["test"])
    assert "pg_isready" in check and "-h 127.0.0.1" in check


def test_the_broker_is_three_nodes_behind_one_entry(services: dict[str, Any]) -> None:
    nodes = [name for name, s in services.items() if str(s.get("image", "")).startswith("rabbitmq:")]
    assert nodes == ["rabbitmq1", "rabbitmq2", "rabbitmq3"]
    assert services["rabbitmq"]["image"].startswith("haproxy:")
    config = (DEPLOY_DIR / "compose" / "haproxy-rabbitmq.cfg").read_text()
    assert all(f"server {node} {node}:5672 check" in config for node in nodes)


def test_prometheus_scrapes_every_service_under_the_job_names_the_alert_rules_use() -> None:
    config = yaml.safe_load((DEPLOY_DIR / "compose" / "prometheus.yml").read_text())
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    rules = "".join(path.read_text() for path in (DEPLOY_DIR / "prometheus" / "rules").glob("*.yml"))
    used = {
        name
        for name in ("crm", "mes", "files", "pricing", "shop", "rabbitmq", "rabbitmq-queues")
        if f'job="{name}"' in rules
    }
    assert {w.name for w in WORKLOADS} | used <= jobs
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool (Debian's prometheus) is not installed")
    config_file = str(DEPLOY_DIR / "compose" / "prometheus.yml")
    checked = subprocess.run(
        [promtool, "check", "config", "--syntax-only", config_file], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def distributed(services: dict[str, Any]) -> load_generator.Distributed:
    """The load generator of a compose file: the service running the load suite, and the one of Locust workers."""
    [master] = [name for name, s in services.items() if s.get("command", [])[:3] == ["python", "-m", "load.suite"]]
    [worker] = [name for name, s in services.items() if "locust" in s.get("command", []) and name != master]
    return load_generator.Distributed(
        master=services[master]["command"],
        worker=services[worker]["command"],
        started=services[worker].get("deploy", {}).get("replicas", 1),
        master_ports={master: loadgen.PORT},  # Docker's DNS: every port of the service, by its name
        env=services[master].get("environment", {}),
        apis={w.name: HTTP_PORT for w in WORKLOADS if w.http and w.name in services},
    )


def test_the_load_generator_starts_only_with_its_profile(services: dict[str, Any]) -> None:
    load = {name for name, s in services.items() if "profiles" in s}
    assert load == {loadgen.MASTER, loadgen.WORKER}
    assert all(services[name]["profiles"] == [LOAD_PROFILE] for name in load), "`docker compose up` leaves it out"
    for name in load:
        ours = services[name]
        assert ours["user"] != "0" and ours["read_only"] is True and ours["restart"] == "no", name
        assert "ports" not in ours and "container_name" not in ours, f"{name} could not be scaled"


def test_the_master_waits_for_the_workers_started_and_loads_this_deployment_s_apis(services: dict[str, Any]) -> None:
    assert load_generator.problems(distributed(services)) == []
    master = services[loadgen.MASTER]
    results = master["environment"]["QA_RUNS_DIR"]
    assert any(v.endswith(f":{results}") and v.split(":")[0] in yaml.safe_load(COMPOSE.read_text())["volumes"]
               for v in master["volumes"]), "the runs outlive the container"  # fmt: skip


def test_the_checker_names_what_a_broken_load_generator_lacks(services: dict[str, Any]) -> None:
    broken = copy.deepcopy(services)
    worker = broken[loadgen.WORKER]["command"]
    del worker[worker.index("--master-host") : worker.index("--master-host") + 2]
    broken[loadgen.WORKER]["deploy"]["replicas"] = 3
    broken[loadgen.MASTER]["environment"]["LOAD_MES_URL"] = "http://mes:8030"  # the local stack's port
    broken[loadgen.MASTER]["environment"]["LOAD_WORKER"] = "4"
    assert load_generator.problems(distributed(broken)) == [
        "master: waits for 4 workers, 3 started",
        "worker: no --master-host (it would look for its master on itself)",
        "master: LOAD_WORKER is read by nothing",
        "master: LOAD_MES_URL names no API of the deployment",
    ]
    broken[loadgen.MASTER]["command"] = ["python", "-m", "load.suite"]
    assert "master: no --workers (it would run the whole load alone)" in load_generator.problems(distributed(broken))
