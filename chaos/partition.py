"""A network partition of one RabbitMQ node from its peers, with iptables on loopback.

Every node listens for its peers on its own distribution port and connects to them from its own loopback
address (`StackSettings.node_dist_address`, set by the stack), so one node's inter-node traffic is exactly:
packets from its address to a peer's distribution port, from a peer's address to its port, and the answers.
Dropping those (not rejecting: a real partition is silence) cuts the node off while the CLI tools, HAProxy and
the clients, which come from 127.0.0.1, still reach every node.
"""

from __future__ import annotations

import logging
import re
import subprocess
from pathlib import Path

from system.stack.settings import StackSettings

log = logging.getLogger(__name__)
CHAIN = "CHAOS-PARTITION"
# What the nodes log about a partition and RabbitMQ's handling of it (pause_minority here).
EVENTS = re.compile(r"net_tick_timeout|partition|pause|minority|paused|node .* (down|up)|Node .* (down|up)", re.I)


def rules(settings: StackSettings, index: int) -> list[list[str]]:
    """The iptables rules (arguments after `-A CHAIN`) that cut node `index` off from the other nodes."""
    me, my_port = settings.node_dist_address(index), str(settings.rabbit_dist_base_port + index)
    drops = []
    for peer in (p for p in range(settings.rabbit_nodes) if p != index):
        peer_ip, peer_port = settings.node_dist_address(peer), str(settings.rabbit_dist_base_port + peer)
        drops += [
            ["-s", me, "-p", "tcp", "--dport", peer_port],  # my connections to the peer
            ["-d", me, "-p", "tcp", "--sport", peer_port],  # the peer's answers on them
            ["-s", peer_ip, "-p", "tcp", "--dport", my_port],  # the peer's connections to me
            ["-d", peer_ip, "-p", "tcp", "--sport", my_port],  # my answers on them
        ]
    return [[*rule, "-j", "DROP"] for rule in drops]


def _iptables(*args: str, check: bool = True) -> None:
    subprocess.run(["iptables", "-w", *args], check=check, capture_output=True, timeout=30)


def cut(settings: StackSettings, index: int) -> None:
    """Partition node `index` from the others (every packet leaves through OUTPUT, loopback included)."""
    heal()
    _iptables("-N", CHAIN)
    for rule in rules(settings, index):
        _iptables("-A", CHAIN, *rule)
    _iptables("-I", "OUTPUT", "-j", CHAIN)
    log.warning("chaos: rabbit%d partitioned from its peers", index + 1)


def heal() -> None:
    """Remove the partition's rules, if any."""
    _iptables("-D", "OUTPUT", "-j", CHAIN, check=False)
    _iptables("-F", CHAIN, check=False)
    _iptables("-X", CHAIN, check=False)


def events(logfile: Path, since: int) -> list[str]:
    """The partition-related lines a node logged after byte offset `since`."""
    if not logfile.exists():
        return []
    with logfile.open("rb") as f:
        f.seek(since)
        lines = f.read().decode(errors="replace").splitlines()
    return [line.strip()[:240] for line in lines if EVENTS.search(line)]
