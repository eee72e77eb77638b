"""Cancel vs. production start, raced on the real stack: whoever wins, CRM and MES end agreeing on the order.

On the old main, 5 of 8 such races left the CRM showing `cancelled` while the MES job was `printing`.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import numpy as np

from system.agreement import disagreement
from tests.integration.flow.conftest import line
from tests.plugins.clients import wait_for

Headers = dict[str, str]
RACES = 50
SETTLED = ("cancelled", "in_production")  # the two ways a race can end


def mes_state(mes: httpx.Client, operator: Headers, order_id: str) -> str:
    """MES's one-word view of the order (its job's state, else its stage)."""
    response = mes.get(f"/orders/{order_id}", headers=operator)
    assert response.status_code == 200, response.text
    return str(response.json()["state"])


def race(
    crm: httpx.Client, mes: httpx.Client, customer: Headers, operator: Headers, order_id: str, job_id: str, lead: float
) -> tuple[int, int]:
    """Start the job and cancel the order at (almost) the same time: the cancellation `lead` seconds ahead (< 0:
    behind); returns (start status, cancel status)."""
    gate = threading.Barrier(2)

    def start() -> int:
        gate.wait()
        if lead > 0:
            threading.Event().wait(lead)  # a varied head start, not synchronisation: both requests are in flight
        return mes.post(f"/production-jobs/{job_id}/start", headers=operator).status_code

    def cancel() -> int:
        gate.wait()
        if lead < 0:
            threading.Event().wait(-lead)
        return crm.post(f"/orders/{order_id}/cancel", json={"reason": "race"}, headers=customer).status_code

    with ThreadPoolExecutor(2) as pool:
        started, cancelled = pool.submit(start), pool.submit(cancel)
        return started.result(), cancelled.result()


def test_cancel_racing_a_production_start_always_ends_in_agreement(
    crm_api: httpx.Client, mes_api: httpx.Client, b2c: Headers, operator: Headers,
    model: Any, place: Any, reach: Any, production_job: Any,
) -> None:  # fmt: skip
    file = model(21.0 + np.random.rand(), b2c)
    orders = [place(b2c, line(file))["id"] for _ in range(RACES)]
    for order_id in orders:
        reach(b2c, order_id, "quoted")
        assert crm_api.post(f"/orders/{order_id}/confirm", headers=b2c).status_code == 200
    jobs = {order_id: production_job(order_id)["id"] for order_id in orders}
    rng = random.Random(7)
    # From "the start is ahead" to "the cancellation is well ahead" (time to cross the outbox and the broker)
    leads = {o: rng.uniform(-0.05, 2.5) for o in orders}
    with ThreadPoolExecutor(10) as pool:  # ten races at a time, as several customers and operators would
        futures = {o: pool.submit(race, crm_api, mes_api, b2c, operator, o, jobs[o], leads[o]) for o in orders}
        answers = {o: f.result() for o, f in futures.items()}

    def settled(order_id: str) -> dict[str, Any] | None:
        order = crm_api.get(f"/orders/{order_id}", headers=b2c).json()
        return order if order["state"] in SETTLED else None

    outcomes: Counter[str] = Counter()
    for order_id in orders:
        order = wait_for(lambda o=order_id: settled(o), within=60, what=f"order {order_id} to settle")
        mes = mes_state(mes_api, operator, order_id)
        assert disagreement(order["state"], mes, settled=True) is None, (order_id, answers[order_id], order, mes)
        started, cancel = answers[order_id]
        assert started in (200, 409) and cancel in (202, 409), answers[order_id]
        if cancel == 202:  # the request was recorded: its answer is visible on the order
            assert order["cancellation"]["status"] == ("accepted" if order["state"] == "cancelled" else "refused")
            assert order["cancellation"]["reason"]
        # the start wins exactly when the cancellation does not
        assert (started == 200) == (order["state"] == "in_production"), (answers[order_id], order["state"])
        outcomes[f"{order['state']} (start {started}, cancel {cancel})"] += 1
    print(f"\n{RACES} cancel/start races: {dict(outcomes)}")
    assert len(outcomes) >= 2, f"the races never varied their outcome: {dict(outcomes)}"
