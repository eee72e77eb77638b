"""Long pricing jobs on the real stack: a worker killed mid-search resumes from its checkpoints elsewhere, a job over
its time limit fails with the reason, a cancelled order's running job stops, hostile meshes crash no worker."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import numpy as np
import pytest

from system.files.checkpoints import PREFIX
from system.kernel.messaging.catalogue import Material, PricingProgress, Process, Unit
from system.kernel.messaging.envelope import Envelope
from system.mesh.stl_write import write_stl
from system.pricing.build import slicer_version
from system.pricing.checkpoints import search_key
from system.pricing.consumers import CANCELLED
from system.stack.services import ServiceReplicas
from system.stack.stack import Stack
from tests.fixtures.cad import l_bracket, moebius
from tests.fixtures.meshes import cube_triangles
from tests.integration.flow.conftest import line
from tests.plugins.clients import upload, wait_for

Headers = dict[str, str]
ORIENTATIONS = 5  # the bracket's distinct ways up (tests/unit/pricing/test_orientation.py)


class PricingEvents:
    """Every pricing.* event the workers publish from now on, heard on a queue of this test's own."""

    def __init__(self, url: str) -> None:
        self.url, self.seen, self._lock = url, list[Envelope](), threading.Lock()
        self._ready, self._stop = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._listen()), daemon=True)

    def __enter__(self) -> PricingEvents:
        self._thread.start()
        assert self._ready.wait(30), "listening for pricing events"
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(30)

    async def _listen(self) -> None:
        async with await aio_pika.connect_robust(self.url) as connection:
            channel = await connection.channel()
            queue = await channel.declare_queue("", exclusive=True, auto_delete=True, durable=False)
            await queue.bind("pricing.events", "pricing.*")

            async def heard(message: aio_pika.abc.AbstractIncomingMessage) -> None:
                with self._lock:
                    self.seen.append(Envelope.from_bytes(message.body))

            await queue.consume(heard, no_ack=True)
            self._ready.set()
            await asyncio.to_thread(self._stop.wait)

    def of(self, order_id: str, kind: str) -> list[Envelope]:
        """The events of one order, of one type."""
        with self._lock:
            return [e for e in self.seen if e.correlation_id == order_id and e.type == kind]

    def stages(self, order_id: str) -> list[str]:
        return [PricingProgress.model_validate(e.payload).stage for e in self.of(order_id, "pricing.progress")]


@pytest.fixture
def events(stack: Stack) -> Iterator[PricingEvents]:
    with PricingEvents(stack.settings.amqp_url) as listening:
        yield listening


@pytest.fixture
def part(files_api: httpx.Client, tmp_path: Path) -> Callable[..., dict[str, Any]]:
    """Upload triangles as a binary STL for `who`; return the file record."""

    def make(triangles: np.ndarray, who: Headers, name: str = "part.stl") -> dict[str, Any]:
        data = write_stl(tmp_path / name, triangles).read_bytes()
        response = upload(files_api, data, name, who=who)
        assert response.status_code in (200, 201), response.text
        return dict(response.json())

    return make


def bracket(seed: int) -> np.ndarray:
    """A 40 x 30 x 20 mm L-bracket, a hair different per test so no earlier checkpoint or memo serves it."""
    vertices, faces = l_bracket(width=40.0 + seed * 1e-3 + np.random.rand() * 1e-3, height=30.0, thickness=6.0,
                                depth=20.0)  # fmt: skip
    return vertices[faces]


def checkpoints_of(stack: Stack, sha256: str, process: Process, material: Material) -> int:
    """How many orientations of this model's search the File Service keeps (in its bucket, under the prefix)."""
    key = search_key(sha256, Unit.MM, process, material, slicer_version())
    listed = stack.s3.client().list_objects_v2(Bucket=stack.settings.s3_bucket, Prefix=f"{PREFIX}{key}/")
    return int(listed.get("KeyCount", 0))


def slicers() -> dict[int, int]:
    """Running slicer processes: pid -> parent pid (the worker that started it)."""
    found = subprocess.run(["pgrep", "-f", "^prusa-slicer"], capture_output=True, text=True, check=False)
    parents = {}
    for pid in map(int, found.stdout.split()):
        try:
            parents[pid] = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue  # it ended meanwhile
    return parents


def pricing(stack: Stack) -> ServiceReplicas:
    return next(s for s in stack.services if s.name == "pricing")


def test_a_worker_killed_mid_search_is_resumed_from_its_checkpoints_and_priced_once(
    stack: Stack, crm_api: httpx.Client, b2c: Headers, part: Any, place: Any, reach: Any, events: PricingEvents
) -> None:
    model = part(bracket(1), b2c)
    order = place(b2c, line(model, material="resin", process="sla", quantity=1))["id"]

    def some_but_not_all() -> int:
        done = checkpoints_of(stack, model["sha256"], Process.SLA, Material.RESIN)
        return done if 0 < done < ORIENTATIONS and slicers() else 0

    done_at_kill = wait_for(some_but_not_all, within=120, what="a search with an orientation checkpointed", every=0.1)
    [(slicer, worker)] = slicers().items()
    os.kill(worker, signal.SIGKILL)  # the pool restarts it; the broker redelivers the unacked job

    quoted = reach(b2c, order, "quoted", within=240)
    stages = events.stages(order)
    resumed = [s for s in stages if s.startswith("resumed:")]
    assert resumed, f"the redelivered job resumed: {stages}"
    count = int(resumed[0].split()[1])
    assert done_at_kill <= count < ORIENTATIONS, f"resumed from orientation {count + 1}: {resumed[0]}"
    assert resumed[0] == f"resumed: {count} of {ORIENTATIONS} orientations already sliced"
    assert slicer not in slicers(), "the killed worker's slicer went with it"
    completed = {e.message_id for e in events.of(order, "pricing.completed")}
    assert len(completed) == 1, "one result, whatever the number of deliveries"
    timeline = crm_api.get(f"/orders/{order}/timeline", headers=b2c).json()["items"]
    assert [t["state"] for t in timeline].count("quoted") == 1 and quoted["state"] == "quoted"


def test_cancelling_an_order_stops_its_running_job(
    stack: Stack, crm_api: httpx.Client, b2c: Headers, part: Any, place: Any, reach: Any, events: PricingEvents
) -> None:
    model = part(bracket(2), b2c)
    order = place(b2c, line(model, material="resin", process="sla", quantity=1))["id"]
    wait_for(lambda: slicers() and events.of(order, "pricing.progress"), within=120, what="the job to be slicing")
    running = set(slicers())
    cancelled = crm_api.post(f"/orders/{order}/cancel", json={"reason": "changed my mind"}, headers=b2c)
    assert cancelled.status_code == 200, cancelled.text
    [failed] = wait_for(lambda: events.of(order, "pricing.failed"), within=60, what="the job to stop")
    assert failed.payload["reason"] == CANCELLED
    wait_for(lambda: not running & set(slicers()), within=30, what="its slicer to end")
    assert checkpoints_of(stack, model["sha256"], Process.SLA, Material.RESIN) < ORIENTATIONS, "stopped mid-search"
    assert crm_api.get(f"/orders/{order}", headers=b2c).json()["state"] == "cancelled"
    next_one = place(b2c, line(part(bracket(3), b2c), quantity=1))["id"]
    reach(b2c, next_one, "quoted", within=120)  # the worker took the next job


HOSTILE = {
    "moebius": lambda: moebius(),  # one-sided, open: no inside to fill
    "triangle-soup": lambda: np.random.default_rng(7).uniform(0, 50, (20_000, 3, 3)),  # 20k crossing triangles
    "needles": lambda: (
        np.array([[[0, 0, 0], [200, 1e-3, 0], [0, 1e-3, 200]]] * 500) + np.arange(500)[:, None, None] / 100
    ),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_a_hostile_mesh_gets_an_answer_and_crashes_no_worker(
    stack: Stack, crm_api: httpx.Client, b2c: Headers, part: Any, place: Any, events: PricingEvents, kind: str
) -> None:
    workers = [p.pid for p in pricing(stack).replicas]
    model = part(HOSTILE[kind](), b2c, f"{kind}.stl")
    order = place(b2c, line(model, quantity=1))["id"]
    state = wait_for(lambda: _final(crm_api, b2c, order), within=240, what=f"an answer for {kind}")
    assert state in ("quoted", "pricing_failed")
    if state == "pricing_failed":
        [failed] = events.of(order, "pricing.failed")
        assert failed.payload["reason"], "with a reason"
    assert [p.pid for p in pricing(stack).replicas] == workers, "no worker died"


def _final(crm: httpx.Client, who: Headers, order: str) -> str | None:
    state = str(crm.get(f"/orders/{order}", headers=who).json()["state"])
    return state if state in ("quoted", "pricing_failed") else None


def test_a_job_over_its_time_limit_fails_with_the_reason_and_the_worker_takes_the_next(
    stack: Stack, crm_api: httpx.Client, b2c: Headers, part: Any, place: Any, reach: Any, events: PricingEvents
) -> None:
    service = pricing(stack)
    service.down()  # this test's own worker, with a 3 s limit, takes every job meanwhile
    env = {**os.environ, **service.spec.env(stack.settings), "PRICING_JOB_TIMEOUT_S": "3"}
    env.pop("PRICING_METRICS_PORT", None)  # the stack's workers' ports: this one serves no metrics
    command = [sys.executable, "-m", "system.pricing", "--concurrency", "1"]
    worker = subprocess.Popen(command, env=env, cwd=Path(__file__).parents[3], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        slow = place(b2c, line(part(bracket(4), b2c), material="resin", process="sla", quantity=1))["id"]
        reach(b2c, slow, "pricing_failed", within=120)
        [failed] = events.of(slow, "pricing.failed")
        assert failed.payload["reason"] == (
            "Pricing this part took longer than the limit of 3 s and was stopped; please contact us for a manual quote."
        )
        quick = place(b2c, line(part(cube_triangles(8.0 + np.random.rand()), b2c), quantity=1))["id"]
        reach(b2c, quick, "quoted", within=60)
        assert worker.poll() is None, "the worker lives on"
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        service.up()
        service.wait_frontend()
