"""The experiments: steady-state hypothesis -> fault -> (hold) -> rollback -> verification (Chaos Toolkit's shape).

The hypothesis (the stack is healthy and orders flow) and the verification (the history checker finds nothing
lost, duplicated, stuck or disagreeing, and the system recovered in time) are the same for every experiment;
what differs is the fault, how long it lasts, and its rollback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from chaos import faults
from system.stack.stack import Stack

Action = Callable[[Stack], None]


@dataclass(frozen=True)
class Experiment:
    name: str
    title: str
    fault: Action
    rollback: Action
    hold: float = 10.0  # seconds the fault lasts while orders keep coming


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
        Experiment(
            "mes-kill",
            "the MES killed mid-flow (kill -9), restarted",
            lambda s: faults.kill_service(s, "mes"),
            lambda s: faults.start_service(s, "mes"),
            hold=5.0,
        ),
        Experiment(
            "crm-kill",
            "the CRM killed mid-flow (kill -9), restarted",
            lambda s: faults.kill_service(s, "crm"),
            lambda s: faults.start_service(s, "crm"),
            hold=5.0,
        ),
    ]
}
