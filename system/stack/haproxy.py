"""HAProxy in front of the RabbitMQ nodes (AMQP, TCP) and of each HTTP service's replicas."""

from __future__ import annotations

import csv
import io
import socket

import httpx

from system.stack.containers import container, program
from system.stack.process import ManagedProcess, StackError, wait_until
from system.stack.services import ServiceSpec
from system.stack.settings import StackSettings


class HAProxy:
    """One haproxy process; its config is rebuilt from the settings and replica counts on every `up`."""

    name = "haproxy"

    def __init__(self, settings: StackSettings, services: list[ServiceSpec], replicas: dict[str, int]) -> None:
        binary = program(settings, "haproxy", "haproxy", "/usr/sbin/haproxy")
        self.settings = settings
        self.services = services
        self.replicas = replicas
        self.config = settings.state_dir / "haproxy.cfg"
        self.admin_socket = settings.state_dir / "haproxy.sock"
        self.process = ManagedProcess(
            name="haproxy",
            argv=[binary, "-db", "-f", str(self.config)],
            run_dir=settings.run_dir,
            log_dir=settings.log_dir,
            env={"HEALTH_URL": f"{settings.url(settings.haproxy_stats_port)}/metrics"},  # the image's health check
            container=container(settings, "haproxy"),
        )

    def render(self) -> str:
        """The haproxy.cfg text for the current settings and replica counts."""
        s = self.settings
        lines = [
            "global",
            "  maxconn 4000",
            # The runtime API: operators (and the chaos suite) take a server out or point it elsewhere live.
            f"  stats socket {self.admin_socket} mode 600 level admin",
            "",
            "defaults",
            "  timeout connect 2s",
            "  timeout client 3h",
            "  timeout server 3h",
            "  timeout check 2s",
            "  retries 2",
            "  option redispatch",
            "",
            # AMQP: a dead node is marked down within ~2 s and its client sessions are cut, so robust
            # clients reconnect through this same address to a surviving node.
            "listen amqp",
            f"  bind 127.0.0.1:{s.haproxy_amqp_port}",
            "  mode tcp",
            "  option tcpka",
            "  balance roundrobin",
            "  default-server check inter 1s fall 2 rise 2 on-marked-down shutdown-sessions",
        ]
        lines += [f"  server rabbit{i + 1} 127.0.0.1:{s.node_amqp_port(i)}" for i in range(s.rabbit_nodes)]
        lines += [
            "",
            "listen stats",
            f"  bind 127.0.0.1:{s.haproxy_stats_port}",
            "  mode http",
            "  stats enable",
            "  stats uri /stats",
            "  http-request use-service prometheus-exporter if { path /metrics }",
            "",
        ]
        for spec in [s_ for s_ in self.services if s_.http]:
            lines += [
                f"listen {spec.name}",
                f"  bind 127.0.0.1:{spec.port(s)}",
                "  mode http",
                "  timeout client 120s",
                "  timeout server 120s",
                "  balance roundrobin",
                "  option httpchk GET /healthz",
                "  retry-on conn-failure empty-response 503",
                "  http-reuse always",  # keep server-side connections warm across client connections
                "  default-server check inter 1s fall 2 rise 1",
            ]
            lines += [
                f"  server {spec.name}{r + 1} 127.0.0.1:{spec.replica_port(s, r)}"
                for r in range(self.replicas.get(spec.name, spec.default_replicas))
            ]
            lines.append("")
        return "\n".join(lines)

    def up(self) -> None:
        """Write the config; (re)start haproxy if it is not running or the config changed."""
        text = self.render()
        changed = not self.config.exists() or self.config.read_text() != text
        self.config.parent.mkdir(parents=True, exist_ok=True)
        self.config.write_text(text)
        if changed and self.process.running():
            self.process.stop()
        self.process.start()
        wait_until(
            lambda: self._stats() is not None,
            process=self.process,
            timeout=20,
            what=f"haproxy stats (see {self.process.logfile})",
        )

    def down(self) -> None:
        self.process.stop()

    def runtime(self, command: str) -> str:
        """Send one command to haproxy's runtime API (e.g. `set server amqp/rabbit1 addr 127.0.0.1 port 1234`)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(str(self.admin_socket))
            sock.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(4096):
                chunks.append(chunk)
        return b"".join(chunks).decode().strip()

    def _stats(self) -> list[dict[str, str]] | None:
        try:
            resp = httpx.get(f"http://127.0.0.1:{self.settings.haproxy_stats_port}/stats;csv", timeout=2)
        except httpx.HTTPError:
            return None
        return list(csv.DictReader(io.StringIO(resp.text.lstrip("# "))))

    def server_states(self, proxy: str) -> dict[str, str]:
        """Status (UP/DOWN/...) of each server behind `proxy`."""
        rows = self._stats()
        if rows is None:
            raise StackError("haproxy stats are not reachable")
        return {
            r["svname"]: r["status"]
            for r in rows
            if r["pxname"] == proxy and r["svname"] not in ("FRONTEND", "BACKEND")
        }

    def health(self) -> tuple[bool, str]:
        """(ok, detail): haproxy runs and sees at least one AMQP node up."""
        if not self.process.running():
            return False, "not running"
        try:
            states = self.server_states("amqp")
        except StackError as exc:
            return False, str(exc)
        up = sum(1 for st in states.values() if st == "UP")
        return up > 0, f"amqp :{self.settings.haproxy_amqp_port} -> {up}/{len(states)} nodes up"

    def processes(self) -> list[ManagedProcess]:
        return [self.process]
