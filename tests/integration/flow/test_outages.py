"""A PostgreSQL crash while orders arrive: 503 with Retry-After (never 500), nothing half-done, then recovery.

On the old main, with PostgreSQL down for 10 s, `POST /orders` answered 500 to every one of 93 attempts.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np

from system.stack.stack import Stack
from tests.integration.flow.conftest import line
from tests.plugins.clients import wait_for

Headers = dict[str, str]


@dataclass(frozen=True)
class Attempt:
    key: str
    status: int
    body: dict[str, Any]
    retry_after: str | None
    content_type: str


class Customer(threading.Thread):
    """Places orders one after another, each with its own Idempotency-Key, until told to stop."""

    def __init__(self, crm: httpx.Client, who: Headers, lines: list[dict[str, Any]]) -> None:
        super().__init__(daemon=True)
        self.crm, self.who, self.lines = crm, who, lines
        self.attempts: list[Attempt] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            key = str(uuid.uuid4())
            try:
                r = self.crm.post("/orders", json={"lines": self.lines}, headers={**self.who, "Idempotency-Key": key})
            except httpx.HTTPError:  # the client gave up waiting: not an answer from us
                continue
            body = r.json() if r.headers.get("content-type", "").endswith("json") else {}
            self.attempts.append(
                Attempt(key, r.status_code, body, r.headers.get("retry-after"), r.headers["content-type"])
            )

    def statuses(self) -> Counter[int]:
        return Counter(a.status for a in self.attempts)


def test_postgres_killed_mid_traffic_gives_503_then_every_accepted_order_completes_once(
    stack: Stack, crm_api: httpx.Client, mes_api: httpx.Client, b2c: Headers, operator: Headers,
    model: Any, reach: Any,
) -> None:  # fmt: skip
    lines = [line(model(26.0 + np.random.rand(), b2c))]
    customer = Customer(crm_api, b2c, lines)
    customer.start()
    try:
        wait_for(lambda: customer.statuses()[201] >= 3, within=30, what="orders to flow before the fault")
        stack.postgres.process.kill()  # kill -9 of the postmaster
        wait_for(lambda: customer.statuses()[503] >= 5, within=30, what="503s while PostgreSQL is down")
        ready = crm_api.get("/readyz")
        assert ready.status_code == 503 and "database" in ready.json()["checks"]
        stack.postgres.up()
        before = customer.statuses()[201]
        wait_for(lambda: customer.statuses()[201] >= before + 3, within=60, what="orders to be accepted again")
    finally:
        customer.halt.set()
        customer.join(timeout=60)
    statuses = customer.statuses()
    print(f"\nPOST /orders across a PostgreSQL kill -9: {dict(statuses)}")
    assert set(statuses) <= {201, 503}, statuses
    refused = [a for a in customer.attempts if a.status == 503]
    assert all(a.retry_after and a.content_type == "application/problem+json" for a in refused)
    assert {a.body["code"] for a in refused} <= {"dependency-unavailable"}
    # Nothing half-done: a refused request retried with its key is a new order, made once.
    retried = [
        crm_api.post("/orders", json={"lines": lines}, headers={**b2c, "Idempotency-Key": a.key}) for a in refused[:5]
    ]
    assert [r.status_code for r in retried] == [201] * len(retried), [r.text for r in retried]
    accepted = [a.body["id"] for a in customer.attempts if a.status == 201] + [r.json()["id"] for r in retried]
    assert len(set(accepted)) == len(accepted)
    for order_id in accepted:  # every accepted order is priced, and priced once
        reach(b2c, order_id, "quoted", within=120)
        states = [e["state"] for e in crm_api.get(f"/orders/{order_id}/timeline", headers=b2c).json()["items"]]
        assert states == ["pricing", "quoted"], (order_id, states)
        assert mes_api.get(f"/orders/{order_id}", headers=operator).json()["stage"] == "priced"
