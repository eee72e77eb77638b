"""Faults on the broker's network: a partition of one node, and a degraded path (delay, stall, reset) between
HAProxy and one node. Each keeps what it needs for its rollback and reports what the system did."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from chaos import partition
from chaos.faults import await_cluster, busiest_leader, kill_broker, start_brokers
from chaos.proxy import FaultProxy, Mode
from system.stack.process import StackError
from system.stack.stack import Stack

log = logging.getLogger(__name__)


class Partition:
    """The node leading the busiest queues cut off from its two peers, then healed."""

    def __init__(self, resume_within: float = 60.0) -> None:
        self.index, self.offsets, self.resume_within = 0, [0], resume_within
        self.restarted = False

    def fault(self, stack: Stack) -> None:
        self.index = busiest_leader(stack)
        logs = [node.process.logfile for node in stack.rabbitmq.nodes]
        self.offsets = [f.stat().st_size if f.exists() else 0 for f in logs]
        partition.cut(stack.settings, self.index)

    def rollback(self, stack: Stack) -> None:
        """Heal; a node that pause_minority stopped should start again by itself. RabbitMQ 3.10 on OTP 25
        sometimes hangs in that restart (its log: "Global hang workaround"): then the operator's remedy,
        a restart of the node, is applied and recorded."""
        partition.heal()
        self.restarted = False
        try:
            await_cluster(stack, timeout=self.resume_within)
        except StackError:
            self.restarted = True
            log.warning("chaos: rabbit%d did not resume after the partition: restarting it", self.index + 1)
            kill_broker(stack, self.index)
            start_brokers(stack, self.index)

    def observations(self, stack: Stack) -> list[str]:
        """What each node logged about the partition, and whether the cluster still records one."""
        lines = [f"partitioned: rabbit{self.index + 1} (cluster_partition_handling = pause_minority)"]
        if self.restarted:
            lines.append(
                f"rabbit{self.index + 1} did not resume within {self.resume_within:.0f} s of healing; "
                "restarted (kill -9 and start), as an operator would"
            )
        for node, offset in zip(stack.rabbitmq.nodes, self.offsets, strict=True):
            lines += [f"{node.nodename}: {line}" for line in partition.events(node.process.logfile, offset)[:25]]
        status = stack.rabbitmq.nodes[0].ctl("cluster_status", "--formatter", "json", check=False)
        lines.append(f"cluster_status after healing: partitions = {_partitions(status)}")
        return lines


class DegradedPath:
    """A fault proxy put between HAProxy and one node through HAProxy's runtime API; every AMQP client is made
    to reconnect so that about a third of them go through it; then the phases play (delay, stall, reset)."""

    def __init__(self, phases: Sequence[tuple[Mode, float]]) -> None:
        self.phases, self.index, self.proxy = phases, 0, FaultProxy(0)

    @property
    def hold(self) -> float:
        return sum(seconds for _, seconds in self.phases)

    def fault(self, stack: Stack) -> None:
        self.index = busiest_leader(stack)
        self.proxy = FaultProxy(stack.settings.node_amqp_port(self.index))
        self._route(stack, self.proxy.start())
        self.proxy.play(self.phases)

    def rollback(self, stack: Stack) -> None:
        self._route(stack, stack.settings.node_amqp_port(self.index))
        self.proxy.stop()

    def observations(self, stack: Stack) -> list[str]:
        s = self.proxy.stats
        return [
            f"proxy in front of rabbit{self.index + 1}: phases {[(m.value, t) for m, t in self.phases]}",
            f"connections {s.connections}, chunks forwarded {s.chunks}, delayed {s.delayed}, reset {s.resets}",
        ]

    def _route(self, stack: Stack, port: int) -> None:
        """Point HAProxy's server for the node at `port`, and cut every AMQP session so clients reconnect."""
        server = f"amqp/rabbit{self.index + 1}"
        log.warning("chaos: %s -> 127.0.0.1:%d", server, port)
        stack.haproxy.runtime(f"set server {server} addr 127.0.0.1 port {port}")
        for n in range(stack.settings.rabbit_nodes):
            stack.haproxy.runtime(f"shutdown sessions server amqp/rabbit{n + 1}")


def _partitions(status_json: str) -> str:
    try:
        return str(json.loads(status_json).get("partitions", "?")) or "none"
    except ValueError:
        return "unknown (cluster_status failed)"
