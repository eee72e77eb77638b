"""A 3-node RabbitMQ cluster on one machine, from Debian's rabbitmq-server package."""

from __future__ import annotations

import logging
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from system.stack.containers import container, owner
from system.stack.process import ManagedProcess, StackError, chown_tree, read_pid, run, stop_group, wait_until
from system.stack.settings import StackSettings

RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")
RABBIT_HOME = Path("/var/lib/rabbitmq")  # holds the Erlang cookie every node and CLI call must share
log = logging.getLogger(__name__)
START_TIMEOUT = 90.0


class RabbitNode:
    """One broker node: its own name, ports, data and log directories."""

    def __init__(self, settings: StackSettings, index: int) -> None:
        self.settings = settings
        self.index = index
        self.nodename = f"rabbit{index + 1}@localhost"
        self.home = settings.state_dir / f"rabbit{index + 1}"
        self.pidfile = self.home / "beam.pid"
        self.container = container(settings, "rabbitmq")
        self.process = ManagedProcess(
            name=f"rabbit{index + 1}",
            argv=[str(RABBIT_BIN / "rabbitmq-server")],
            run_dir=settings.run_dir,
            log_dir=settings.log_dir,
            env=self._env(),
            cwd=RABBIT_HOME,
            user="rabbitmq",
            container=self.container,
        )

    def _env(self) -> dict[str, str]:
        s, i = self.settings, self.index
        return {
            "HOME": str(RABBIT_HOME),
            "RABBITMQ_NODENAME": self.nodename,
            "RABBITMQ_DIST_PORT": str(s.rabbit_dist_base_port + i),
            "RABBITMQ_MNESIA_BASE": str(self.home / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.home / "log"),
            "RABBITMQ_PID_FILE": str(self.pidfile),
            "RABBITMQ_CONFIG_FILE": str(self.home / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.home / "enabled_plugins"),
            "RABBITMQ_LOGS": "-",  # to stdout, i.e. our per-process log file
            "ERL_CRASH_DUMP_SECONDS": "0",  # a node that fails to boot exits at once instead of dumping for long
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": self._dist_args(),
        }

    def _dist_args(self) -> str:
        """Distribution settings: a shorter tick so a lost peer is noticed in seconds, and this node's own source
        address for the connections it opens to its peers (every node listens on all of loopback), so that
        packet filters can cut exactly this node off from the others (the chaos suite's partition)."""
        ip = ",".join(self.settings.node_dist_address(self.index).split("."))
        tick = self.settings.rabbit_net_ticktime_s
        return f"-kernel net_ticktime {tick} -kernel inet_dist_connect_options [{{ip,{{{ip}}}}}]"

    def _write_config(self) -> None:
        s, i = self.settings, self.index
        (self.home / "mnesia").mkdir(parents=True, exist_ok=True)
        (self.home / "log").mkdir(parents=True, exist_ok=True)
        (self.home / "rabbitmq.conf").write_text(
            "\n".join(
                [
                    f"listeners.tcp.default = 127.0.0.1:{s.node_amqp_port(i)}",
                    f"management.tcp.port = {s.rabbit_mgmt_base_port + i}",
                    "management.tcp.ip = 127.0.0.1",
                    f"prometheus.tcp.port = {s.rabbit_prom_base_port + i}",
                    "prometheus.tcp.ip = 127.0.0.1",
                    "loopback_users = none",
                    f"consumer_timeout = {s.rabbit_consumer_timeout_ms}",
                    "vm_memory_high_watermark.relative = 0.25",
                    "disk_free_limit.absolute = 500MB",
                    "cluster_partition_handling = pause_minority",
                    "",
                ]
            )
        )
        (self.home / "enabled_plugins").write_text("[rabbitmq_management,rabbitmq_prometheus].\n")
        chown_tree(self.home, owner(self.settings, "rabbitmq"))

    def ctl(self, *args: str, timeout: float = 60, check: bool = True) -> str:
        """Run rabbitmqctl against this node (as the rabbitmq user, so it shares the cookie)."""
        argv = [str(RABBIT_BIN / "rabbitmqctl"), "-n", self.nodename, *args]
        env = {"HOME": str(RABBIT_HOME)}
        return run(argv, env=env, timeout=timeout, check=check, user="rabbitmq", container=self.container).stdout

    @property
    def beam_pid(self) -> int | None:
        return read_pid(self.pidfile)

    def running(self) -> bool:
        return self.process.running() and self.beam_pid is not None

    def start(self) -> None:
        """Start the node process (if not running) without waiting for it."""
        if self.process.running():
            return
        self._write_config()
        self.pidfile.unlink(missing_ok=True)
        self.process.start()

    def await_startup(self) -> None:
        """Block until the node has booted (bounded by START_TIMEOUT)."""
        wait_until(
            lambda: self.process.running() and self.pidfile.exists(),
            timeout=START_TIMEOUT,
            what=f"{self.nodename} pid file (see {self.process.logfile})",
        )
        self.ctl("await_startup", "--timeout", str(int(START_TIMEOUT)), timeout=START_TIMEOUT + 10)

    def boot(self, attempts: int = 5) -> None:
        """Await start-up, starting the node again if it died while booting.

        RabbitMQ 3.10 nodes started together sometimes die syncing feature flags with a peer whose registry is
        not loaded yet (`incompatible_feature_flags`, badrpc `{badmap,undefined}`); started again a moment later,
        they join fine. A dead node's Erlang VM used to linger writing its crash dump, which made this retry
        give up ("still running"): crash dumps are off, and whatever is left of the node is stopped first.
        """
        for attempt in range(1, attempts + 1):
            try:
                self.await_startup()
                return
            except StackError:
                if attempt == attempts:
                    raise
                log.warning("%s did not boot (attempt %d of %d); starting it again", self.nodename, attempt, attempts)
                self.process.stop(timeout=30)
                if (pid := self.beam_pid) is not None:
                    stop_group(pid, timeout=10)
                self.pidfile.unlink(missing_ok=True)
            self.start()

    def stop(self) -> None:
        """Stop the node cleanly; kill it if it does not stop in time."""
        if self.beam_pid is not None:
            self.ctl("stop", timeout=60, check=False)
        self.process.stop(timeout=30)
        pid = self.beam_pid
        if pid is not None:
            stop_group(pid, timeout=10)
        self.pidfile.unlink(missing_ok=True)

    def kill(self) -> None:
        """kill -9 the broker (fault injection: no clean shutdown)."""
        self.process.kill()
        pid = self.beam_pid
        if pid is not None:
            os.kill(pid, 9)

    def api(self, path: str, timeout: float = 3.0) -> httpx.Response:
        """GET from this node's management API."""
        s = self.settings
        return httpx.get(
            f"{s.node_mgmt_url(self.index)}/api{path}", timeout=timeout, auth=(s.rabbit_user, s.rabbit_password)
        )

    def health(self) -> tuple[bool, str]:
        """(ok, detail): the node answers and sees every cluster member running."""
        if not self.running():
            return False, "not running"
        try:
            nodes = self.api("/nodes").json()
        except (httpx.HTTPError, ValueError) as exc:
            return False, f"management API: {exc}"
        up = sorted(n["name"] for n in nodes if n.get("running"))
        ok = len(up) == self.settings.rabbit_nodes
        return ok, f"amqp :{self.settings.node_amqp_port(self.index)}, cluster running {len(up)}/{len(nodes)}"


class RabbitCluster:
    """The nodes started together and joined to rabbit1 on first boot."""

    name = "rabbitmq"

    def __init__(self, settings: StackSettings) -> None:
        self.container = container(settings, "rabbitmq", user="rabbitmq")
        if self.container is None and shutil.which("epmd") is None and not RABBIT_BIN.exists():
            raise StackError("rabbitmq-server is not installed: run `make setup`")
        self.settings = settings
        self.nodes = [RabbitNode(settings, i) for i in range(settings.rabbit_nodes)]
        # The port mapper the nodes register with. In containers it has one of its own: started by a node, it
        # would die with that node's container and the others would vanish from it.
        s = settings
        self.epmd = ManagedProcess(
            "epmd", ["epmd"], s.run_dir, s.log_dir, container=self.container, health="epmd -names"
        )

    def up(self) -> None:
        """Start every stopped node, wait for all, then join new nodes to the first."""
        if self.container is not None:
            self.epmd.start()
        else:
            run(["epmd", "-daemon"], timeout=10)
        # Restarted nodes wait for their peers (mnesia sync), so all must boot concurrently.
        for node in self.nodes:
            node.start()
        with ThreadPoolExecutor(len(self.nodes)) as pool:
            list(pool.map(lambda n: n.boot(), self.nodes))
        for node in self.nodes[1:]:
            self._join(node)
        wait_until(
            lambda: all(n.health()[0] for n in self.nodes),
            timeout=60,
            what="all RabbitMQ nodes to see the whole cluster",
        )

    def _join(self, node: RabbitNode) -> None:
        first = self.nodes[0].nodename
        if first in node.ctl("cluster_status", "--formatter", "json"):
            return
        node.ctl("stop_app")
        node.ctl("join_cluster", first)
        node.ctl("start_app")

    def down(self) -> None:
        """Stop all nodes (in parallel, so none waits on a peer that is already gone)."""
        with ThreadPoolExecutor(len(self.nodes)) as pool:
            list(pool.map(lambda n: n.stop(), self.nodes))
        if self.container is not None:
            self.epmd.stop()
        else:
            run(["epmd", "-kill"], timeout=10, check=False)

    def health(self) -> list[tuple[str, bool, str]]:
        """One status row per node."""
        return [(n.nodename, *n.health()) for n in self.nodes]

    def processes(self) -> list[ManagedProcess]:
        return [n.process for n in self.nodes]
