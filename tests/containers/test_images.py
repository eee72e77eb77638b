"""The images of `make images`: what they are made of, that every one starts and becomes healthy, and the load
image running Locust distributed (a master and two workers) against the containers stack."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import docker
import pytest

from load.suite import worker_command
from system.stack.containers import IMAGE_USERS, LABEL, client, container, health_states, image_ref, stack_id
from system.stack.runtimes import CODE_IMAGE, STACK_IMAGES
from system.stack.settings import StackSettings
from system.stack.stack import Stack

INFRA = tuple(name for name in STACK_IMAGES if name != CODE_IMAGE)
HEALTHY_WITHIN_S = 180.0
LOCUSTFILE = Path("/app/load/locustfile.py")  # in the load image


def image(name: str) -> str:
    return image_ref(StackSettings(runtime="containers"), name)


def run(name: str, *command: str, **kwargs: object) -> str:
    """The output of `command` in a throwaway container of image `name`."""
    output = client().containers.run(image(name), list(command), remove=True, network_mode="host", **kwargs)
    return bytes(output).decode()


def wait_healthy(settings: StackSettings, deadline_s: float = HEALTHY_WITHIN_S) -> dict[str, tuple[str, str]]:
    """Every container of the stack healthy, polled until the deadline; raise naming the ones that are not."""
    deadline = time.monotonic() + deadline_s
    while True:
        states = health_states(settings)
        unhealthy = {name: status for name, (_, status) in states.items() if status != "healthy"}
        if states and not unhealthy:
            return states
        if time.monotonic() > deadline:
            raise AssertionError(f"not healthy after {deadline_s:.0f} s: {unhealthy or 'no containers'}")
        time.sleep(1)


@pytest.mark.parametrize("name", ["services", "load", *INFRA])
def test_every_image_is_labelled_with_its_version_and_commit(name: str) -> None:
    labels = client().images.get(image(name)).labels
    assert labels["org.opencontainers.image.version"]
    assert labels["org.opencontainers.image.revision"] not in ("", "unknown")


def test_the_services_run_unprivileged_without_build_tools() -> None:
    assert run("services", "id", "-u").strip() == "10001"
    found = run("services", "sh", "-c", "for t in pip gcc cc make apt-get; do command -v $t || true; done").split()
    assert found == ["/usr/bin/apt-get"], f"build tools in the final image: {found}"
    assert run("services", "python", "-c", "import system.mesh, scipy; print('ok')").strip() == "ok"


def test_a_tool_that_outlives_its_timeout_is_removed_with_it() -> None:
    tool = container(StackSettings(runtime="containers"), "services")
    assert tool is not None
    with pytest.raises(subprocess.TimeoutExpired):
        tool.run(["sleep", "120"], env={}, timeout=5, user=None)
    left = client().containers.list(all=True, filters={"label": f"{LABEL}={tool.stack}"})
    assert [c.name for c in left if not c.name.startswith(f"stack-{tool.stack}-")] == [], "a tool still runs"


def test_a_tool_gets_its_environment_without_it_on_the_command_line() -> None:
    tool = container(StackSettings(runtime="containers"), "services")
    assert tool is not None
    done = tool.run(["sh", "-c", 'echo "$PGPASSWORD"'], env={"PGPASSWORD": "s3cret"}, timeout=60, user=None)
    assert (done.returncode, done.stdout.strip()) == (0, "s3cret"), done.stderr


def test_the_load_image_runs_the_load_suite() -> None:
    assert "--workers" in run("load", "python", "-m", "load.suite", "--help")


def test_every_container_of_the_stack_becomes_healthy(stack: Stack) -> None:
    if stack.settings.runtime != "containers":
        pytest.fail("run this suite with --stack=containers (make test-containers)")
    states = wait_healthy(stack.settings)
    images = {img.split("/")[-1].split(":")[0] for img, _ in states.values()}
    assert images == {"services", *INFRA}
    assert len(states) >= 19, sorted(states)


def test_a_service_that_does_not_answer_is_unhealthy_and_named(stack: Stack) -> None:
    """The checks above are worth something: the services image's own health check, run at once and often, fails
    a container whose service does not answer, and the stack's health check names it."""
    box = container(stack.settings, "services", user="app")
    assert box is not None
    check = client().images.get(box.image).attrs["Config"]["Healthcheck"]["Test"]
    name = box.name("broken-probe")
    client().containers.run(
        box.image,
        ["sleep", "600"],
        name=name,
        detach=True,
        network_mode="host",
        environment={"HEALTH_URL": "http://127.0.0.1:9/healthz"},  # nothing serves there
        labels={"org.layerworks.stack": box.stack},
        # A start period of 0 would mean the image's (60 s); 1 ms is the least Docker takes.
        healthcheck={"test": check, "interval": 500_000_000, "retries": 1, "start_period": 1_000_000},
    )
    try:
        with pytest.raises(AssertionError, match=r"broken-probe': 'unhealthy'"):
            wait_healthy(stack.settings, deadline_s=30)
    finally:
        client().containers.get(name).remove(force=True)
    with pytest.raises(docker.errors.NotFound):
        client().containers.get(name)


def test_a_distributed_load_run_spreads_its_users_over_two_worker_containers(stack: Stack, tmp_path: Path) -> None:
    """Locust's distributed mode as the deployments run it (system/deploy/loadgen.py): the load image as the
    master (the load suite with --workers 2) and as two workers, here against the containers stack."""
    results = tmp_path / "results"
    results.mkdir()
    os.chown(results, *IMAGE_USERS["app"])
    labels = {"org.layerworks.stack": stack_id(stack.settings)}
    master_host = "127.0.0.1"  # host networking: the master's port 5557 is the host's
    common = {"detach": True, "network_mode": "host", "labels": labels}
    worker = worker_command(master_host, python="python", locustfile=LOCUSTFILE)
    workers = [client().containers.run(image("load"), worker, **common) for _ in range(2)]
    master = client().containers.run(
        image("load"),
        ["python", "-m", "load.suite", "--workers", "2", "--profile", "smoke"],
        volumes={str(results): {"bind": "/results", "mode": "rw"}},
        environment={"QA_RUNS_DIR": "/results"},
        **common,
    )
    try:
        exit_code = master.wait(timeout=300)["StatusCode"]
        log = master.logs().decode()
    finally:
        for each in (master, *workers):
            each.remove(force=True)
    assert exit_code == 0, log[-2000:]
    run = next(results.glob("load-*"))
    locust_log = (run / "load" / "locust.log").read_text()
    assert "(index 0) reported as ready" in locust_log and "(index 1) reported as ready" in locust_log
    summary = json.loads((run / "load" / "summary.json").read_text())
    assert sum(e["requests"] for e in summary["endpoints"]) > 0
