"""Helpers for the order-flow tests: placing orders and following them through the real stack."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.plugins.clients import wait_for

Headers = dict[str, str]


def line(file: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return {"file_id": file["id"], "material": "pla", "process": "fdm", "quantity": 2, "lead_time_days": 7, **overrides}


@pytest.fixture
def place(crm_api: httpx.Client) -> Callable[..., dict[str, Any]]:
    """POST /orders for `who` and return the created order."""

    def _place(who: Headers, *lines: dict[str, Any]) -> dict[str, Any]:
        headers = {**who, "Idempotency-Key": str(uuid.uuid4())}
        response = crm_api.post("/orders", json={"lines": list(lines)}, headers=headers)
        assert response.status_code == 201, response.text
        return dict(response.json())

    return _place


@pytest.fixture
def reach(crm_api: httpx.Client) -> Callable[..., dict[str, Any]]:
    """Poll an order until it is in `state` (fails fast if it lands in an unexpected final state)."""

    def _reach(who: Headers, order_id: str, state: str, within: float = 60) -> dict[str, Any]:
        def current() -> dict[str, Any] | None:
            order = crm_api.get(f"/orders/{order_id}", headers=who).json()
            if order["state"] != state and order["state"] in ("pricing_failed", "cancelled", "delivered"):
                raise AssertionError(f"order ended {order['state']} instead of {state}: {order}")
            return order if order["state"] == state else None

        return dict(wait_for(current, within=within, what=f"order {order_id} to be {state}"))

    return _reach


@pytest.fixture
def production_job(mes_api: httpx.Client, operator: Headers) -> Callable[[str], dict[str, Any]]:
    """The MES production job of an order, once it exists."""

    def _job(order_id: str) -> dict[str, Any]:
        def find() -> dict[str, Any] | None:
            view = mes_api.get(f"/orders/{order_id}", headers=operator)
            return view.json()["job"] if view.status_code == 200 else None

        return dict(wait_for(find, within=30, what=f"a production job for {order_id}"))

    return _job
