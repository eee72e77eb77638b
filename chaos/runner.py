"""Running one experiment: hypothesis, fault under a stream of orders, rollback, verification by the checker."""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from chaos.checker import Verdict, check
from chaos.experiments import Experiment
from chaos.observe import observe
from chaos.workload import History, Targets, Workload
from system.crm.seed import DEMO_ACCOUNTS
from system.kernel.head_sampling import PRODUCTION_TRACE_RATIO
from system.stack.rabbitmq import RabbitNode
from system.stack.stack import Stack
from tests.fixtures import meshes

RECOVERY_LIMIT_S = 30.0  # the gate's rule: fault end -> every order settled... measured from the first completion


@dataclass(frozen=True)
class Plan:
    """How much traffic flows through an experiment."""

    orders: int = 300
    concurrency: int = 24
    pace: float = 0.1  # seconds between two placements: the stream lasts while the fault is on
    fault_after: float = 0.25  # share of the orders acknowledged before the fault
    trace_ratio: float = PRODUCTION_TRACE_RATIO  # the stream is production traffic: sampled as an edge would


@dataclass
class Outcome:
    """What an experiment measured."""

    experiment: Experiment
    verdict: Verdict
    history: History
    fault_window: tuple[float, float]  # monotonic start and end of the fault
    started: float
    dlq_depth: int  # messages dead-lettered during the experiment
    recovery_first_s: float | None  # fault end -> first order settled after it
    recovery_all_s: float | None  # fault end -> the last order settled
    observations: list[str]  # what the system did about the fault (logs, proxy counters)
    trace_ratio: float = 1.0  # share of the stream's requests the services traced

    @property
    def passed(self) -> bool:
        return (
            self.verdict.ok
            and not self.history.failures
            and self.dlq_depth == 0
            and self.recovery_first_s is not None
            and self.recovery_first_s <= RECOVERY_LIMIT_S
        )


def targets_of(stack: Stack) -> Targets:
    s = stack.settings
    return Targets(crm=s.url(s.crm_port), mes=s.url(s.mes_port), files=s.url(s.files_port))


def prepare(targets: Targets, password: str = "demo") -> tuple[dict[str, str], dict[str, list[str]]]:
    """Sign the demo customers and operator in, and upload a few distinct models for each customer."""
    tokens, models = {}, {}
    with httpx.Client(timeout=60) as http:
        for who, account in zip(("b2c", "b2b", "operator"), DEMO_ACCOUNTS, strict=True):
            body = {"email": account.email, "password": password}
            tokens[who] = http.post(f"{targets.crm}/auth/login", json=body).raise_for_status().json()["access_token"]
        for who in ("b2c", "b2b"):
            offset = {"b2c": 0.11, "b2b": 0.37}[who]  # distinct bytes per customer and model
            models[who] = [_upload(http, targets, tokens[who], 8.0 + n + offset) for n in range(4)]
    return tokens, models


def _upload(http: httpx.Client, targets: Targets, token: str, size: float) -> str:
    headers = {"Authorization": f"Bearer {token}"}
    with tempfile.TemporaryDirectory() as tmp:
        data = meshes.write_cube_binary(Path(tmp) / "cube.stl", size).read_bytes()
    ticket = http.post(f"{targets.files}/files/uploads", json={"filename": f"chaos-{size}.stl", "size": len(data)},
                       headers=headers).raise_for_status().json()  # fmt: skip
    http.put(ticket["url"], content=data).raise_for_status()
    return str(
        http.post(f"{targets.files}{ticket['complete_url']}", json={}, headers=headers).raise_for_status().json()["id"]
    )


async def run(experiment: Experiment, stack: Stack, plan: Plan) -> Outcome:
    """Hypothesis -> fault -> hold -> rollback -> verification, with `plan.orders` orders flowing throughout."""
    targets = targets_of(stack)
    status = await asyncio.to_thread(stack.status)
    if not status.healthy:  # the steady-state hypothesis, before anything is injected
        raise RuntimeError(f"steady state not met before {experiment.name}: {[r for r in status.rows if not r[1]]}")
    tokens, models = await asyncio.to_thread(prepare, targets)
    dead_before = await asyncio.to_thread(dlq_depth, stack)
    workload = Workload(targets, tokens, models, trace_ratio=plan.trace_ratio)
    started = time.monotonic()
    stream = asyncio.create_task(workload.run(plan.orders, plan.concurrency, plan.pace))
    flowing = asyncio.create_task(workload.acknowledged(int(plan.orders * plan.fault_after)).wait())
    await asyncio.wait({flowing, stream}, return_when=asyncio.FIRST_COMPLETED)  # the stream is in full flow
    flowing.cancel()
    fault_start = time.monotonic()
    await asyncio.to_thread(experiment.fault, stack)
    await asyncio.sleep(experiment.hold)  # the fault lasts this long: part of the experiment, not a sync point
    await asyncio.to_thread(experiment.rollback, stack)
    fault_end = time.monotonic()
    observations = await asyncio.to_thread(experiment.observations, stack)
    history = await stream
    observed = await observe(targets, tokens["operator"], list(history.acknowledged))
    verdict = check(history.acknowledged, observed)
    # Orders still pending when the fault ended: how long until the first and the last of them settled (0 when
    # the flow never stopped: nothing was pending).
    pending = [o for o in history.acknowledged if history.settled_at.get(o, float("inf")) > fault_end]
    after = sorted(history.settled_at[o] - fault_end for o in pending if o in history.settled_at) or (
        [] if pending else [0.0]
    )
    return Outcome(
        experiment=experiment,
        verdict=verdict,
        history=history,
        fault_window=(fault_start, fault_end),
        started=started,
        dlq_depth=await asyncio.to_thread(dlq_depth, stack, 240, dead_before) - dead_before,
        recovery_first_s=after[0] if after else None,
        recovery_all_s=after[-1] if after else None,
        observations=observations,
        trace_ratio=plan.trace_ratio,
    )


def dlq_depth(stack: Stack, within: float = 240, at_least: int = 0) -> int:
    """Messages in the system's dead-letter queues (test suites' own `test.*` queues left out), counted once
    nothing is in flight any more: a message that fails keeps retrying for minutes (the backoff steps add up to
    156 s) before it is dead-lettered, and counting earlier charged it to the next experiment.

    The count comes from `rabbitmqctl list_queues` (the management API's figures lag by seconds). Right after a
    node rejoins, a queue may report 0 until its leader is elected and its replicas catch up: the count is
    taken once every node sees every queue running and all give the same total (and, after an experiment, no
    less than before it: nothing consumes dead letters, so a smaller count is a replica still catching up)."""
    deadline = time.monotonic() + within
    while True:
        counts = {_dead_letters(node) for node in stack.rabbitmq.nodes if node.running()}
        if len(counts) == 1 and None not in counts and (count := int(counts.pop() or 0)) >= at_least:
            return count
        if time.monotonic() > deadline:
            raise RuntimeError(f"no settled dead-letter count within {within:.0f}s: {counts}")
        time.sleep(1)  # polling the replicas until they agree (bounded by `within`)


def _dead_letters(node: RabbitNode) -> int | None:
    """This node's count of dead letters, or None while a queue is not running or a message is in flight."""
    listing = node.ctl("list_queues", "--quiet", "--no-table-headers", "name", "messages", "state", check=False)
    rows = [line.split() for line in listing.splitlines() if len(line.split()) == 3]
    ours = [(name, int(n), state) for name, n, state in rows if not name.startswith("test.")]
    if not ours or any(state != "running" for _, _, state in ours):
        return None
    if any(n for name, n, _ in ours if not name.endswith(".dlq")):
        return None  # still being worked on or waiting to be retried
    return sum(n for name, n, _ in ours if name.endswith(".dlq"))
