"""The whole local stack: infrastructure, migrations and services, brought up and down in order."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from system.stack.ceph import CephS3
from system.stack.containers import docker_available, remove_all
from system.stack.haproxy import HAProxy
from system.stack.migrate import migrate_service
from system.stack.monitoring import Alertmanager, Prometheus
from system.stack.postgres import Postgres
from system.stack.process import StackError, read_pid, stop_group
from system.stack.rabbitmq import RabbitCluster
from system.stack.runtimes import cannot_run_containers
from system.stack.services import SERVICES, ServiceReplicas
from system.stack.settings import StackSettings

Row = tuple[str, bool, str]


@dataclass
class Status:
    """Health of every component: (component, ok, detail) rows."""

    rows: list[Row]

    @property
    def healthy(self) -> bool:
        return all(ok for _, ok, _ in self.rows)


class Stack:
    """Starts, stops and checks every component of the local stack."""

    def __init__(self, settings: StackSettings | None = None, replicas: dict[str, int] | None = None) -> None:
        self.settings = settings or StackSettings()
        self.replicas = {**self._saved_replicas(), **(replicas or {})}
        self.postgres = Postgres(self.settings, [s.database for s in SERVICES if s.database])
        self.rabbitmq = RabbitCluster(self.settings)
        self.s3 = CephS3(self.settings)
        self.haproxy = HAProxy(self.settings, SERVICES, self.replicas)
        self.services = [
            ServiceReplicas(self.settings, s, self.replicas.get(s.name, s.default_replicas)) for s in SERVICES
        ]
        self.alertmanager = Alertmanager(self.settings)
        self.prometheus = Prometheus(self.settings, SERVICES, self.replicas)

    @property
    def _replicas_file(self):  # type: ignore[no-untyped-def]
        return self.settings.state_dir / "replicas.json"

    def _saved_replicas(self) -> dict[str, int]:
        try:
            return dict(json.loads(self._replicas_file.read_text()))
        except (FileNotFoundError, ValueError):
            return {}

    def _no_docker(self) -> str | None:
        """Why a containers stack has no Docker to ask (None with Docker, or with the process runtime)."""
        return docker_available() if self.settings.runtime == "containers" else None

    def up(self, progress: Callable[[str], None] = print) -> float:
        """Bring everything up (idempotent); return the seconds it took."""
        started = time.monotonic()
        # Said before anything starts: Docker would otherwise try to pull a missing image from a registry.
        if self.settings.runtime == "containers" and (reason := cannot_run_containers(self.settings)):
            raise StackError(f"the containers stack cannot start: {reason}")
        self.settings.state_dir.mkdir(parents=True, exist_ok=True)
        self._replicas_file.write_text(json.dumps(self.replicas))
        # The three slow starters boot in parallel; everything after them depends on them.
        with ThreadPoolExecutor(3) as pool:
            futures = {c.name: pool.submit(c.up) for c in (self.postgres, self.rabbitmq, self.s3)}
            for name, future in futures.items():
                future.result()
                progress(f"{name} up")
        self.haproxy.up()
        progress("haproxy up")
        for svc in self.services:
            if svc.spec.migrations:
                migrate_service(self.settings, svc.spec)
            svc.up()
            svc.wait_frontend()
            progress(f"{svc.name} up ({len(svc.replicas)} replica(s))")
        # Last, so the first scrape finds every target (and no alert fires about a replica still starting).
        self.alertmanager.up()
        self.prometheus.up()
        progress("prometheus and alertmanager up")
        return time.monotonic() - started

    def down(self, progress: Callable[[str], None] = print) -> None:
        """Stop everything, monitoring and services first; then sweep any process still recorded under run/."""
        if (reason := self._no_docker()) is not None:
            progress(f"stack down: nothing to stop, {reason}")
            return
        steps = [self.prometheus.down, self.alertmanager.down, *(s.down for s in self.services), self.haproxy.down]
        failed: list[Exception] = []
        for step in [*steps, self._storage_down, self._sweep_pids]:
            try:
                step()
            except Exception as exc:  # one component that will not stop must not leave the others running
                failed.append(exc)
        remove_all(self.settings)  # whatever a containers stack left (a crashed container, a tool's)
        if failed:
            raise StackError(f"stack down: {len(failed)} step(s) failed, the rest stopped; first: {failed[0]}")
        progress("stack down")

    def _storage_down(self) -> None:
        with ThreadPoolExecutor(3) as pool:
            list(pool.map(lambda c: c.down(), (self.s3, self.rabbitmq, self.postgres)))

    def _sweep_pids(self) -> None:
        for pidfile in self.settings.run_dir.glob("*.pid"):
            pid = read_pid(pidfile)
            if pid is not None:
                stop_group(pid)
            pidfile.unlink(missing_ok=True)

    def status(self) -> Status:
        """Health rows for every component."""
        if (reason := self._no_docker()) is not None:
            return Status([("docker", False, reason)])
        rows: list[Row] = [("postgres", *self.postgres.health())]
        rows += [(f"rabbitmq {name}", ok, detail) for name, ok, detail in self.rabbitmq.health()]
        rows.append(("s3 (ceph rgw)", *self.s3.health()))
        rows.append(("haproxy", *self.haproxy.health()))
        for svc in self.services:
            rows += svc.health()
        rows.append(("prometheus", *self.prometheus.health()))
        rows.append(("alertmanager", *self.alertmanager.health()))
        return Status(rows)


@contextmanager
def running_stack(settings: StackSettings | None = None, progress: Callable[[str], None] = print) -> Iterator[Stack]:
    """The stack, started if it is not healthy and then stopped again; a stack that was up is left up."""
    stack = Stack(settings or StackSettings())
    started_here = not stack.status().healthy
    try:
        if started_here:
            stack.up(progress=progress)  # a start that fails half-way is stopped too, leaving nothing running
        yield stack
    finally:
        if started_here:
            stack.down(progress=progress)
