"""The stack's processes in containers (issue 12): same commands, ports, files and health checks, another runtime.

With `STACK_RUNTIME=containers` every long-running process of the stack runs in a container of its image
(`make images`), started through testcontainers, and every command-line tool (rabbitmqctl, psql, ceph...) in a
throwaway container of the same image. Containers share the host's network and process namespaces, so ports,
pid files and fault injection (kill -9 of a broker node, a frozen replica, an iptables partition) mean what they
mean for the process stack; the state directory and the deploy configuration are bind-mounted at the same paths.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from system.stack.settings import REPO_ROOT, StackSettings

if TYPE_CHECKING:
    import docker
    from docker.models.containers import Container as DockerContainer

    from system.stack.process import Action, ManagedProcess

LABEL = "org.layerworks.stack"  # the state directory a container belongs to: `down` removes exactly those
# The users the images run their daemons as, with the fixed uids the images give them (system/deploy/images), so
# the stack can hand them the bind-mounted directories whatever this host's own users are.
IMAGE_USERS = {"rabbitmq": (900, 900), "postgres": (901, 901), "app": (10001, 10001)}
SERVICE_USER = "app"  # the services' image runs as this unprivileged user


@cache
def client() -> docker.DockerClient:
    """The Docker client testcontainers uses (DOCKER_HOST, or the local socket)."""
    from testcontainers.core.docker_client import DockerClient

    return DockerClient().client


def docker_available() -> str | None:
    """None if a Docker daemon answers, else why not (for a skip reason or an error message)."""
    try:
        client().ping()
    except Exception as exc:  # no socket, no permission, no daemon: all mean "no Docker here"
        return f"no Docker daemon answers ({type(exc).__name__}: {str(exc)[:120]})"
    return None


@dataclass(frozen=True)
class Container:
    """Where one stack process runs: its image, the stack it belongs to and what it mounts."""

    image: str
    stack: str  # a digest of the state directory: names and labels containers per stack
    mounts: tuple[Path, ...]
    user: str | None = None

    def name(self, process: str) -> str:
        return f"stack-{self.stack}-{process}"

    def _find(self, name: str) -> DockerContainer | None:
        import docker.errors

        try:
            return client().containers.get(self.name(name))
        except docker.errors.NotFound:
            return None

    def pid(self, proc: ManagedProcess) -> int | None:
        """The host pid of the container's process while it runs (host pid namespace: pid files agree)."""
        found = self._find(proc.name)  # fetched just now: its state is current
        if found is None:
            return None
        state = found.attrs["State"]
        return int(state["Pid"]) if state.get("Running") and state.get("Pid") else None

    def start(self, proc: ManagedProcess) -> None:
        """Run `proc` detached in a fresh container, its output appended to its log as the process stack does.

        As `proc.user` (else the image's user), in `proc.cwd`, with `proc.health` replacing the image's check.
        """
        from testcontainers.core.config import testcontainers_config
        from testcontainers.core.container import DockerContainer as TestContainer

        if user := proc.user or self.user:  # the process appends to its log as the image's user
            os.chown(proc.logfile, *IMAGE_USERS[user])
        # No reaper: the stack outlives the process that started it (`make up`, then tests, then `make down`), and
        # `down` removes its containers by label. Nor could the reaper's image be pulled here.
        testcontainers_config.ryuk_disabled = True
        self._remove(proc.name)  # an exited container of the same name (killed, crashed) is replaced
        test = TestContainer(self.image, name=self.name(proc.name), env=dict(proc.env))
        test.with_command(["sh", "-c", 'exec "$@" >>"$0" 2>&1', str(proc.logfile), *proc.argv])
        for mount in self.mounts:
            test.with_volume_mapping(str(mount), str(mount), "rw" if mount == self.mounts[0] else "ro")
        test.with_kwargs(**self._kwargs(cwd=proc.cwd, user=proc.user, health=proc.health))
        test.start()

    def _kwargs(self, cwd: Path | None = None, user: str | None = None, health: str | None = None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"network_mode": "host", "pid_mode": "host", "labels": {LABEL: self.stack}}
        if user or self.user:
            kwargs["user"] = user or self.user
        if cwd is not None:
            kwargs["working_dir"] = str(cwd)
        if health is not None:
            seconds = 1_000_000_000
            kwargs["healthcheck"] = {
                "test": ["CMD-SHELL", health],
                "interval": 5 * seconds,
                "timeout": 5 * seconds,
                "retries": 3,
                "start_period": 60 * seconds,
            }
        return kwargs

    def signal(self, proc: ManagedProcess, action: Action, timeout: float = 20) -> None:
        """stop (SIGTERM, SIGKILL after `timeout`, then the container removed), kill, pause or resume it."""
        found = self._find(proc.name)
        if found is None:
            return
        if action == "stop":
            found.stop(timeout=int(timeout))
            found.remove(force=True)
        elif action == "kill":
            found.kill()
        elif action == "pause":
            found.pause()
        elif action == "resume":
            found.unpause()

    def _remove(self, name: str) -> None:
        if (found := self._find(name)) is not None:
            found.remove(force=True)

    def tool_name(self) -> str:
        """A name for one throwaway tool container (not `name()`'s prefix: health_states lists only those)."""
        return f"tool-{self.stack}-{uuid.uuid4().hex[:8]}"

    def run(
        self, argv: Sequence[str], env: Mapping[str, str], timeout: float, user: str | None
    ) -> subprocess.CompletedProcess[str]:
        """A command-line tool in a throwaway container of the image (through the docker CLI: it bounds the wait).

        Never pulled (a missing image is `make images`' to build); the environment's values go through the CLI's
        own environment, not its command line, where `ps` would show a password."""
        name = self.tool_name()
        flags = ["--name", name, "--rm", "--pull", "never", "--no-healthcheck", "--network", "host", "--pid", "host"]
        flags += ["--label", f"{LABEL}={self.stack}"]
        for mount in self.mounts:
            flags += ["-v", f"{mount}:{mount}" + ("" if mount == self.mounts[0] else ":ro")]
        for key in env:
            flags += ["-e", key]
        if user or self.user:
            flags += ["--user", str(user or self.user)]
        try:
            return subprocess.run(
                ["docker", "run", *flags, self.image, *argv],
                env={**os.environ, **env},
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            # The docker CLI is killed, not the container: remove it, or it would run on until `down`.
            subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=30, check=False)
            raise


def container(settings: StackSettings, image: str, user: str | None = None) -> Container | None:
    """Where a component of the stack runs: in a container of `image` with the containers runtime, else None."""
    if settings.runtime != "containers":
        return None
    # The state directory (written) and the deploy configuration (read: alert rules, Alertmanager routing).
    mounts = (settings.state_dir.absolute(), REPO_ROOT / "system" / "deploy")
    return Container(image_ref(settings, image), stack_id(settings), mounts, user)


def stack_id(settings: StackSettings) -> str:
    """A digest of the stack's state directory: names and labels its containers, so two stacks never mix."""
    return hashlib.sha256(str(settings.state_dir.absolute()).encode()).hexdigest()[:8]


def image_ref(settings: StackSettings, image: str) -> str:
    """The reference of one of `make images`' images (e.g. layerworks/postgres:latest)."""
    return f"{settings.image_prefix}{image}:{settings.image_tag}"


def program(settings: StackSettings, name: str, *here: str) -> str:
    """The program `name` where it runs: on its image's PATH, else the first of `here` found on this machine."""
    if settings.runtime == "containers":
        return name
    import shutil

    return next((found for candidate in here if (found := shutil.which(candidate))), here[-1])


def owner(settings: StackSettings, user: str) -> tuple[int, int]:
    """The uid and gid that `user` has where the process runs: in its image, or on this host."""
    if settings.runtime == "containers":
        return IMAGE_USERS[user]
    import pwd

    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid


def health_states(settings: StackSettings) -> dict[str, tuple[str, str]]:
    """Every long-running container of this stack: name -> (image, Docker's health status, or the state)."""
    if settings.runtime != "containers":
        return {}
    stack, states = stack_id(settings), {}
    for each in client().containers.list(all=True, filters={"label": f"{LABEL}={stack}"}):
        state = each.attrs["State"]
        if each.name.startswith(f"stack-{stack}-"):  # not a throwaway tool's container
            status = state.get("Health", {}).get("Status") if state.get("Running") else state.get("Status")
            states[each.name] = (each.attrs["Config"]["Image"], str(status or "no health check"))
    return states


def remove_all(settings: StackSettings) -> int:
    """Remove every container of this stack (whatever `up` left behind); return how many there were."""
    if settings.runtime != "containers" or docker_available() is not None:
        return 0
    found = client().containers.list(all=True, filters={"label": f"{LABEL}={stack_id(settings)}"})
    for each in found:
        each.remove(force=True)
    return len(found)
