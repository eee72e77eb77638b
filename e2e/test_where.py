"""Where is my order: the operator finds a stuck order, sees where it is, and follows its trace."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import APIResponse, expect

from contracts.http.providers.overstay import overstay
from e2e.shop import BUYER, OPERATOR, Visitor, new_order, order_status, short_id, wait_for_quote
from system.crm.domain import State
from tests.plugins.clients import wait_for


@pytest.fixture
def crm_database_url(pytestconfig: pytest.Config, request: pytest.FixtureRequest) -> str:
    """The local stack's CRM database: an order becomes stuck only after days, so the test moves its clock."""
    if pytestconfig.getoption("--base-url", None) or os.environ.get("QA_TARGET"):
        pytest.skip("making an order stuck needs the local stack's CRM database")
    return str(request.getfixturevalue("stack").settings.database_url("crm"))


def test_the_operator_sees_where_a_stuck_order_is(
    visitor: Visitor, stl: Callable[..., Path], crm_database_url: str
) -> None:
    buyer = visitor(BUYER)
    order_id = new_order(buyer, stl())
    wait_for_quote(buyer)
    # The buyer has "thought about it" for longer than a quote's limit (through the CRM's own repository; in a
    # thread because Playwright's sync API holds this one's event loop).
    with ThreadPoolExecutor(1) as thread:
        thread.submit(overstay, crm_database_url, uuid.UUID(order_id), State.QUOTED).result()

    olga = visitor(OPERATOR)
    olga.get_by_role("navigation", name="Main").get_by_role("link", name="Where is my order").click()
    expect(olga.get_by_role("heading", level=1)).to_have_text("Where is my order")
    stuck = olga.get_by_role("region", name=re.compile(r"^Stuck orders"))
    stuck.get_by_role("link", name=f"Order {short_id(order_id)}", exact=True).click()

    expect(olga.get_by_role("heading", level=1)).to_have_text(f"Where is Order {short_id(order_id)}")
    position = olga.get_by_role("region", name=re.compile(r"^Position"))
    expect(position).to_contain_text("Stuck")
    expect(position.get_by_role("definition")).to_contain_text(
        ["Quote ready", re.compile(r"for 14 d 1 h$"), "14 d 0 h, exceeded by 1 h", "customer"]
    )
    expect(olga.get_by_role("region", name=re.compile(r"^Dead letters"))).to_contain_text(
        "No message about this order is in a dead-letter queue."
    )
    expect(olga.get_by_role("region", name=re.compile(r"^Timeline"))).to_contain_text("Quote ready")
    trace = position.get_by_role("link", name=re.compile(r"^[0-9a-f]{32}$"))
    waterfall = trace.get_attribute("href") or ""
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/traces/[0-9a-f]{32}/waterfall\.svg", waterfall), waterfall

    def drawn() -> APIResponse | None:  # the sink has the trace once the services' batches arrived
        response = olga.request.get(waterfall)
        return response if response.ok else None

    svg = wait_for(drawn, within=30, what="the trace's waterfall")
    assert svg.headers["content-type"].startswith("image/svg+xml") and "crm" in svg.text()

    # The lookup by id leads to the same page.
    olga.get_by_role("navigation", name="Main").get_by_role("link", name="Where is my order").click()
    olga.get_by_label("Order id").fill(order_id)
    olga.get_by_role("button", name="Find").click()
    expect(olga).to_have_url(re.compile(rf"/operator/orders/{order_id}$"))

    # The buyer withdraws the order, so the shared stack keeps no stuck order from this test.
    buyer.get_by_role("button", name="Cancel order").click()
    expect(order_status(buyer)).to_contain_text("This order was cancelled.")
