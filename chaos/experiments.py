"""The experiments: steady-state hypothesis -> fault -> (hold) -> rollback -> verification (Chaos Toolkit's shape).

The hypothesis (the stack is healthy and orders flow) and the verification (the history checker finds nothing
lost, duplicated, stuck or disagreeing, and the system recovered in time) are the same for every experiment;
what differs is the fault, how long it lasts, and its rollback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from chaos import faults
from chaos.network import DegradedPath, Partition
from chaos.proxy import Mode
from system.stack.stack import Stack

Action = Callable[[Stack], None]
# RabbitMQ closes a silent client's connection after its heartbeat timeout (60 s, the default both sides
# negotiate) and only then redelivers what it held: a frozen consumer must stay frozen past that.
HEARTBEAT_S = 60.0


def _nothing(stack: Stack) -> list[str]:
    return []


@dataclass(frozen=True)
class Experiment:
    name: str
    title: str
    fault: Action
    rollback: Action
    hold: float = 10.0  # seconds the fault lasts while orders keep coming
    observations: Callable[[Stack], list[str]] = _nothing  # what the system did about the fault, for the report


def _broker_kill(index: int) -> Experiment:
    return Experiment(
        f"broker-kill-{index + 1}",
        f"kill -9 of RabbitMQ node rabbit{index + 1}, restarted later",
        lambda s: faults.kill_broker(s, index),
        lambda s: faults.start_brokers(s, index),
    )


def _leader_kill() -> Experiment:
    chosen: list[int] = []

    def fault(stack: Stack) -> None:
        chosen.append(faults.busiest_leader(stack))
        faults.kill_broker(stack, chosen[-1])

    return Experiment(
        "broker-kill-leader",
        "kill -9 of the node leading the busiest quorum queues, restarted later",
        fault,
        lambda s: faults.start_brokers(s, chosen[-1]),
    )


def _quorum_lost() -> Experiment:
    def fault(stack: Stack) -> None:
        faults.kill_broker(stack, 1)
        faults.kill_broker(stack, 2)

    return Experiment(
        "broker-quorum-lost",
        "two of three RabbitMQ nodes down (no quorum): orders are still accepted into the outbox",
        fault,
        lambda s: faults.start_brokers(s, 1, 2),
        hold=20.0,
    )


def _partition() -> Experiment:
    cut = Partition()
    return Experiment(
        "broker-partition",
        "the node leading the busiest queues partitioned from its two peers (iptables), healed later",
        cut.fault,
        cut.rollback,
        hold=30.0,  # the peers notice within 0.75-1.25 x net_ticktime (15 s): the partition must outlast that
        observations=cut.observations,
    )


def _degraded_path() -> Experiment:
    path = DegradedPath([(Mode.DELAY, 10.0), (Mode.STALL, 10.0), (Mode.RESET, 10.0)])
    return Experiment(
        "broker-path-faults",
        "a fault proxy between HAProxy and one node: 250 ms per chunk, then a 10 s stall, then resets",
        path.fault,
        path.rollback,
        hold=path.hold,
        observations=path.observations,
    )


def _frozen(stack: Stack, action: Callable[[Stack, str], None]) -> None:
    for service in ("mes", "pricing"):
        action(stack, service)


def _kill_replica(service: str) -> Experiment:
    return Experiment(
        f"{service}-kill",
        f"one of two {service.upper()} replicas killed mid-flow (kill -9), restarted",
        lambda s: faults.kill_service(s, service),
        lambda s: faults.start_service(s, service),
        hold=5.0,
    )


EXPERIMENTS: dict[str, Experiment] = {
    e.name: e
    for e in [
        _leader_kill(),
        _broker_kill(0),
        _broker_kill(1),
        _broker_kill(2),
        _quorum_lost(),
        Experiment("postgres-kill", "kill -9 of PostgreSQL, restarted", faults.kill_postgres, faults.start_postgres),
        Experiment(
            "s3-outage",
            "the S3 store stopped for a while, with the pricing workers' model cache emptied (forced misses)",
            faults.stop_object_store,
            faults.start_object_store,
            hold=15.0,
        ),
        Experiment(
            "pricing-worker-kill",
            "a pricing worker killed mid-job, restarted",
            lambda s: faults.kill_service(s, "pricing"),
            lambda s: faults.start_service(s, "pricing"),
            hold=5.0,
        ),
        _kill_replica("mes"),
        _kill_replica("crm"),
        _partition(),
        _degraded_path(),
        Experiment(
            "slow-consumer",
            "a MES replica and a pricing worker frozen (SIGSTOP) past the heartbeat timeout, so the broker "
            "redelivers what they held to the others; then thawed, to finish what was already taken",
            lambda s: _frozen(s, faults.pause_service),
            lambda s: _frozen(s, faults.resume_service),
            hold=HEARTBEAT_S + 15.0,
        ),
    ]
}
