"""Idempotency-Key on the real stack: concurrent duplicates make one order, a re-used key with another body is 422.

On the old main, 8 concurrent requests with one key gave a 500 (the unique-constraint violation escaped), and the
same key with a different body silently returned the first order.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import numpy as np

from tests.integration.flow.conftest import line

Headers = dict[str, str]
CONCURRENT = 20


def test_concurrent_requests_with_one_key_make_one_order(
    crm_api: httpx.Client, mes_api: httpx.Client, b2c: Headers, operator: Headers, model: Any, reach: Any
) -> None:
    body = {"lines": [line(model(22.0 + np.random.rand(), b2c))]}
    headers = {**b2c, "Idempotency-Key": str(uuid.uuid4())}
    with ThreadPoolExecutor(CONCURRENT) as pool:
        responses = list(pool.map(lambda _: crm_api.post("/orders", json=body, headers=headers), range(CONCURRENT)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * (CONCURRENT - 1) + [201], [r.text for r in responses if r.status_code >= 300]
    [order_id] = {r.json()["id"] for r in responses}
    reach(b2c, order_id, "quoted")  # priced once: MES heard of it once
    assert mes_api.get(f"/orders/{order_id}", headers=operator).json()["stage"] == "priced"
    assert sum(o["id"] == order_id for o in crm_api.get("/orders", headers=b2c).json()["items"]) == 1


def test_the_same_key_with_a_different_body_is_refused(crm_api: httpx.Client, b2c: Headers, model: Any) -> None:
    file = model(23.0 + np.random.rand(), b2c)
    headers = {**b2c, "Idempotency-Key": str(uuid.uuid4())}
    first = crm_api.post("/orders", json={"lines": [line(file, quantity=1)]}, headers=headers)
    assert first.status_code == 201, first.text
    other = crm_api.post("/orders", json={"lines": [line(file, quantity=5)]}, headers=headers)
    assert other.status_code == 422 and other.headers["content-type"] == "application/problem+json"
    assert other.json()["code"] == "idempotency-key-reused" and "different order" in other.json()["detail"]
    again = crm_api.post("/orders", json={"lines": [line(file, quantity=1)]}, headers=headers)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]


def test_a_key_belongs_to_one_account(crm_api: httpx.Client, b2c: Headers, b2b: Headers, model: Any) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    mine = crm_api.post("/orders", json={"lines": [line(model(24.0 + np.random.rand(), b2c))]}, headers={**b2c, **key})
    theirs = crm_api.post(
        "/orders", json={"lines": [line(model(24.5 + np.random.rand(), b2b))]}, headers={**b2b, **key}
    )
    assert mine.status_code == theirs.status_code == 201 and mine.json()["id"] != theirs.json()["id"]
