"""Faults on the local stack, each with its rollback: what the experiments inject (kill -9, outages)."""

from __future__ import annotations

import logging

from system.stack.process import ManagedProcess, wait_until
from system.stack.stack import Stack

log = logging.getLogger(__name__)


def busiest_leader(stack: Stack) -> int:
    """Index of the node leading the quorum queues that hold the most messages (the leader to kill first)."""
    load: dict[str, int] = {}
    for node in stack.rabbitmq.nodes:
        try:
            queues = node.api("/queues").json()
        except Exception:
            continue
        for q in queues:
            leader = q.get("leader") or q.get("node")
            load[leader] = (
                load.get(leader, 0) + int(q.get("messages", 0)) + int(q.get("message_stats", {}).get("publish", 0))
            )
        break
    names = [n.nodename for n in stack.rabbitmq.nodes]
    busiest = max(load, key=lambda n: load[n]) if load else None
    return names.index(busiest) if busiest in names else 0


def kill_broker(stack: Stack, index: int) -> None:
    node = stack.rabbitmq.nodes[index]
    log.warning("chaos: kill -9 %s", node.nodename)
    node.kill()


def start_brokers(stack: Stack, *indices: int) -> None:
    """Start the nodes together (as after a power cut), then wait until the whole cluster is healthy."""
    nodes = [stack.rabbitmq.nodes[i] for i in indices]
    for node in nodes:
        node.start()
    for node in nodes:
        node.boot()
    await_cluster(stack)


def await_cluster(stack: Stack, timeout: float = 120) -> None:
    """Block until every node runs and sees the whole cluster."""
    wait_until(lambda: all(ok for _, ok, _ in stack.rabbitmq.health()), timeout=timeout, what="the cluster healthy")


def kill_postgres(stack: Stack) -> None:
    log.warning("chaos: kill -9 postgres")
    stack.postgres.process.kill()


def start_postgres(stack: Stack) -> None:
    stack.postgres.up()


def kill_service(stack: Stack, name: str, replica: int = 0) -> None:
    """kill -9 one replica (or worker) of a service."""
    log.warning("chaos: kill -9 %s-%d", name, replica + 1)
    _replica(stack, name, replica).kill()


def pause_service(stack: Stack, name: str, replica: int = 0) -> None:
    """Freeze one replica (SIGSTOP): it holds its unacked messages, its connections and any row locks."""
    log.warning("chaos: SIGSTOP %s-%d", name, replica + 1)
    _replica(stack, name, replica).pause()


def resume_service(stack: Stack, name: str, replica: int = 0) -> None:
    _replica(stack, name, replica).resume()


def _replica(stack: Stack, name: str, replica: int) -> ManagedProcess:
    return next(s for s in stack.services if s.name == name).replicas[replica]


def start_service(stack: Stack, name: str) -> None:
    """Start whatever replicas of a service are not running and wait until it serves."""
    service = next(s for s in stack.services if s.name == name)
    service.up()
    service.wait_frontend()


def stop_object_store(stack: Stack) -> None:
    """Stop the S3 gateway, after emptying the pricing workers' model cache so that they must fetch again."""
    cache = stack.settings.state_dir / "pricing-cache"
    for model in cache.rglob("*"):
        if model.is_file():
            model.unlink(missing_ok=True)  # forced cache misses: pricing now depends on the store
    log.warning("chaos: S3 gateway stopped, pricing cache emptied")
    stack.s3.rgw.stop(timeout=20)


def start_object_store(stack: Stack) -> None:
    stack.s3.up()
