"""Files belong to accounts, through the whole flow: the CRM refuses an order naming another customer's file (its
File Service call acts for the ordering customer), and the pricing workers read each customer's model acting for
that customer, so two customers' uploads of the same bytes are priced each on their own."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
import numpy as np

from tests.integration.flow.conftest import line

Headers = dict[str, str]


def test_an_order_naming_another_customers_file_is_refused_naming_the_line(
    crm_api: httpx.Client, b2c: Headers, b2b: Headers, model: Any, place: Any, reach: Any
) -> None:
    mine, theirs = model(21.0 + np.random.rand(), b2c), model(22.0 + np.random.rand(), b2b)
    headers = {**b2c, "Idempotency-Key": str(uuid.uuid4())}

    response = crm_api.post("/orders", json={"lines": [line(mine), line(theirs)]}, headers=headers)

    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
    detail = response.json()["detail"]
    assert "line 2" in detail and theirs["id"] in detail and "line 1" not in detail, detail
    assert "cube-" not in detail, "nothing about the other customer's file is told"
    order = place(b2c, line(mine))  # the customer's own file alone is accepted, and priced
    assert reach(b2c, order["id"], "quoted")["lines"][0]["filename"] == mine["filename"]


def test_the_same_bytes_uploaded_by_two_customers_are_priced_for_each(
    b2c: Headers, b2b: Headers, model: Any, place: Any, reach: Any
) -> None:
    edge = 23.0 + np.random.rand()
    consumer_file, business_file = model(edge, b2c), model(edge, b2b)
    assert consumer_file["id"] != business_file["id"] and consumer_file["sha256"] == business_file["sha256"]

    consumer = reach(b2c, place(b2c, line(consumer_file))["id"], "quoted")
    business = reach(b2b, place(b2b, line(business_file))["id"], "quoted")

    assert Decimal(business["total_price"]) < Decimal(consumer["total_price"]), "each at their own terms"
