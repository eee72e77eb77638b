"""The stream of orders that flows while a fault is injected: customers placing, confirming and cancelling, an
operator producing, every message type in flight. Each order follows a script; every answer is recorded.

A real client retries: network errors, 5xx and 503 are retried with backoff (the same Idempotency-Key for a
placement), so an outage shows as latency and retries, and the checker judges what the system promised.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import httpx

from system.kernel.head_sampling import HeadSampler

SCRIPTS = {"cancel-quoted": 15, "cancel-confirmed": 15, "deliver": 60, "reprint": 10}  # weights, per cent
PRODUCE = ["start", "complete", "qc-pass", "ship"]
REPRINT = ["start", "complete", "qc-fail", "start", "complete", "qc-pass", "ship"]


@dataclass(frozen=True)
class Targets:
    """Base URLs of the APIs the workload calls."""

    crm: str
    mes: str
    files: str


@dataclass
class Call:
    """One request and its answer (status, or the error's name), with its start and end times."""

    order: str
    op: str
    started: float
    ended: float
    status: int | str


@dataclass
class History:
    """Everything the workload did: each call, the orders acknowledged (id -> script), when each one settled."""

    calls: list[Call] = field(default_factory=list)
    acknowledged: dict[str, str] = field(default_factory=dict)
    acked_at: dict[str, float] = field(default_factory=dict)
    settled_at: dict[str, float] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)  # a driver that gave up, and why

    def retries(self) -> int:
        return sum(1 for c in self.calls if not (isinstance(c.status, int) and c.status < 500))


class GaveUp(RuntimeError):
    """A step did not succeed before its deadline."""


class Workload:
    """Drives `orders` orders through the APIs with `concurrency` customers at a time."""

    def __init__(
        self,
        targets: Targets,
        tokens: dict[str, str],
        models: dict[str, list[str]],
        seed: int = 7,
        trace_ratio: float = 1.0,
    ) -> None:
        self.targets, self.tokens, self.models = targets, tokens, models
        self.history = History()
        self.rng = random.Random(seed)
        self.sampler = HeadSampler(trace_ratio, random.Random(seed + 1))  # the edge's decision, per request
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(10, connect=3))
        self.deadline = 300.0  # seconds a step may take, outages included
        self._milestones: list[tuple[int, asyncio.Event]] = []

    def acknowledged(self, count: int) -> asyncio.Event:
        """An event set once `count` orders have been acknowledged."""
        event = asyncio.Event()
        self._milestones.append((count, event))
        self._reached()
        return event

    def _reached(self) -> None:
        for count, event in self._milestones:
            if len(self.history.acknowledged) >= count:
                event.set()

    async def run(self, orders: int, concurrency: int, pace: float = 0.0) -> History:
        """Place and drive `orders` orders; return the history once every driver has finished."""
        gate = asyncio.Semaphore(concurrency)
        scripts = self.rng.choices(list(SCRIPTS), weights=list(SCRIPTS.values()), k=orders)

        async def one(n: int, script: str) -> None:
            async with gate:
                await self._drive(n, script)

        tasks = []
        for n, script in enumerate(scripts):
            tasks.append(asyncio.create_task(one(n, script)))
            if pace:
                await asyncio.sleep(pace)  # spreads placements over time (load shape), not synchronisation
        await asyncio.gather(*tasks)
        await self.http.aclose()
        return self.history

    async def _drive(self, n: int, script: str) -> None:
        customer = "b2b" if n % 4 == 0 else "b2c"
        try:
            order_id = await self._place(n, customer, script)
            await self._until(order_id, customer, {"quoted"})
            if script == "cancel-quoted":
                await self._customer(order_id, customer, "cancel", {200})
                await self._until(order_id, customer, {"cancelled"})
            else:
                await self._customer(order_id, customer, "confirm", {200})
                actions = REPRINT if script == "reprint" else PRODUCE
                if script == "cancel-confirmed":  # the customer cancels as the operator starts: MES decides
                    job = await self._poll(order_id, lambda: self._job(order_id), "a production job")
                    await asyncio.gather(
                        self._act(order_id, job, "start"), self._customer(order_id, customer, "cancel", {202, 409})
                    )
                    if await self._until(order_id, customer, {"cancelled", "in_production"}) == "cancelled":
                        return self._settled(order_id)
                    actions = actions[1:]
                await self._produce(order_id, actions)
                await self._until(order_id, customer, {"shipped"})
                await self._request(order_id, "deliver", "POST", f"{self.targets.crm}/orders/{order_id}/deliver",
                                    "operator", ok={200})  # fmt: skip
                await self._until(order_id, customer, {"delivered"})
            self._settled(order_id)
        except GaveUp as exc:
            self.history.failures[f"#{n}"] = str(exc)

    def _settled(self, order_id: str) -> None:
        self.history.settled_at[order_id] = time.monotonic()

    async def _place(self, n: int, customer: str, script: str) -> str:
        files = self.models[customer]
        lines = [
            {"file_id": files[(n + i) % len(files)], "material": "pla", "process": "fdm", "quantity": 1 + i,
             "lead_time_days": 7}
            for i in range(2 if customer == "b2b" else 1)
        ]  # fmt: skip
        key = str(uuid.uuid4())
        body = await self._request(f"#{n}", "place", "POST", f"{self.targets.crm}/orders", customer,
                                   ok={200, 201}, json={"lines": lines}, headers={"Idempotency-Key": key})  # fmt: skip
        order_id = str(body["id"])
        self.history.acknowledged[order_id] = script
        self.history.acked_at[order_id] = time.monotonic()
        self._reached()
        return order_id

    async def _customer(self, order_id: str, customer: str, action: str, ok: set[int]) -> None:
        url = f"{self.targets.crm}/orders/{order_id}/{action}"
        await self._request(order_id, action, "POST", url, customer, ok=ok, json={"reason": "chaos"})

    async def _produce(self, order_id: str, actions: list[str]) -> None:
        job = await self._poll(order_id, lambda: self._job(order_id), "a production job")
        for action in actions:
            await self._act(order_id, job, action)

    async def _act(self, order_id: str, job: str, action: str) -> None:
        """An operator action; a 409 means it was applied already (a lost answer) or the job was cancelled."""
        url = f"{self.targets.mes}/production-jobs/{job}/{action}"
        await self._request(order_id, action, "POST", url, "operator", ok={200}, done_if={409})

    async def _job(self, order_id: str) -> str | None:
        view = await self._request(order_id, "mes-view", "GET", f"{self.targets.mes}/orders/{order_id}", "operator",
                                   ok={200}, done_if={404})  # fmt: skip
        job = view.get("job") if view else None
        return str(job["id"]) if job else None

    async def _until(self, order_id: str, customer: str, states: set[str]) -> str:
        async def state() -> str | None:
            url = f"{self.targets.crm}/orders/{order_id}"
            body = await self._request(order_id, "get", "GET", url, customer, ok={200})
            return str(body["state"]) if body["state"] in states else None

        return await self._poll(order_id, state, f"state {sorted(states)}")

    async def _poll(self, order_id: str, probe: Callable[[], Awaitable[str | None]], what: str) -> str:
        deadline = time.monotonic() + self.deadline
        while (found := await probe()) is None:
            if time.monotonic() > deadline:
                raise GaveUp(f"order {order_id}: no {what} within {self.deadline:.0f}s")
            await asyncio.sleep(0.25)  # polling interval of a client watching its order
        return found

    async def _request(
        self, order: str, op: str, method: str, url: str, who: str, *, ok: Collection[int],
        done_if: Collection[int] = (),
        **kwargs: Any,
    ) -> dict[str, Any]:  # fmt: skip
        """Send until an expected answer; retry errors and 5xx with backoff. `done_if`: statuses that end the
        step without a body (e.g. 409 for an operator action a lost response already applied)."""
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {self.tokens[who]}"}
        deadline, delay = time.monotonic() + self.deadline, 0.2
        while True:
            started = time.monotonic()
            try:
                sent = {**headers, **self.sampler.headers()}
                response = await self.http.request(method, url, headers=sent, **kwargs)
                status: int | str = response.status_code
            except httpx.HTTPError as exc:
                response, status = None, type(exc).__name__
            self.history.calls.append(Call(order, op, started, time.monotonic(), status))
            if response is not None and status in ok:
                return dict(response.json())
            if response is not None and status in done_if:
                return {}
            if response is not None and isinstance(status, int) and status < 500:
                raise GaveUp(f"{op} {url}: {status} {response.text[:200]}")
            if time.monotonic() > deadline:
                raise GaveUp(f"{op} {url}: still {status} after {self.deadline:.0f}s")
            await asyncio.sleep(delay)  # backoff between retries of a failed call
            delay = min(delay * 2, 3.0)
