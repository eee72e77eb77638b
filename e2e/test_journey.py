"""A newcomer's whole order, from the first upload to delivery, with the operator who makes it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Route, expect

from e2e.shop import (
    ADA,
    BUYER,
    OPERATOR,
    PASS_AND_SHIP,
    PRODUCTION,
    PROPAGATION,
    Visitor,
    choose,
    job_row,
    mark_delivered,
    new_order,
    order_status,
    place_order,
    produce,
    refresh_until,
    short_id,
    timeline,
    uploaded,
    wait_for_quote,
)
from system.tracesink.shape import assert_shape, check_shape, parse_edges
from tests.plugins.traces import TraceSink

JOURNEY = ["Quote", "Confirmed", "In production", "Quality check", "Shipped", "Delivered"]
REPRINTED = [
    *["In production", "Reprinting", "Quality check", "In production"],
    *["Confirmed", "Quote ready", "Calculating price"],
]
# The click on "Place order" is one trace: the Shop's request, the CRM, MES, the pricing pool and back.
PLACED_FROM_THE_SHOP = parse_edges("shop -> crm, crm -> files, crm -> mes, mes -> pricing, pricing -> mes, mes -> crm")
DELIVERED = ["Delivered", "Shipped", "Quality check", "In production", "Confirmed", "Quote ready", "Calculating price"]


def test_a_newcomer_orders_a_part_and_follows_it_to_delivery(
    visitor: Visitor, stl: Callable[..., Path], trace_sink: TraceSink
) -> None:
    model = stl()
    ada = visitor(ADA)
    ada.get_by_role("navigation", name="Main").get_by_role("link", name="New order").click()
    expect(ada.get_by_role("heading", level=1)).to_have_text("New order")

    # The upload is held on its way to the Shop while we look, so its progress shows whatever the speed.
    status, progress = ada.get_by_role("status"), ada.get_by_role("progressbar", name="Upload progress")
    seen: list[str] = []

    def while_uploading(route: Route) -> None:
        try:
            expect(status).to_have_text(f"Uploading {model.name}…")
            expect(progress).to_be_visible()
            seen.append("progress")
        finally:
            route.continue_()

    ada.route("**/upload", while_uploading)
    ada.get_by_label("Model file").set_input_files(model)
    line = uploaded(ada, model.name)
    assert seen == ["progress"], "no upload progress was shown"
    expect(progress).to_be_hidden()
    expect(line).to_contain_text("12 triangles")

    choose(line, material="PETG", process="FDM", quantity=3, lead_time_days=10)
    loads: list[str] = []  # documents loaded in Ada's tab from now on
    ada.on("framenavigated", lambda frame: loads.append(frame.url) if frame == ada.main_frame else None)
    order_id = place_order(ada)

    # The quote arrives in the live region: the order page is not loaded again.
    wait_for_quote(ada)
    assert loads == [ada.url], f"the order page was loaded again: {loads}"
    # Polled until the whole shape is in: each service sends its spans in batches, every second.
    placed = trace_sink.wait_for(
        order_id,
        lambda t: not check_shape(t, PLACED_FROM_THE_SHOP, linked_jobs=["pricing.job"]),
        30,
        "the Shop's click through the CRM, MES and pricing and back",
    )
    assert_shape(placed, PLACED_FROM_THE_SHOP, linked_jobs=["pricing.job"])
    quote = ada.get_by_role("table", name="Models and prices")
    row = quote.get_by_role("row").filter(has_text=model.name)
    expect(row).to_contain_text("PETG · FDM · 10 days")
    expect(row.get_by_role("cell").nth(1)).to_have_text("3")
    expect(row.get_by_role("cell").nth(3)).to_have_text(re.compile(r"^€[\d,]+\.\d\d$"))
    expect(quote.get_by_role("row", name=re.compile("^Total"))).to_contain_text("€")

    ada.get_by_role("button", name="Confirm order").click()
    expect(ada.get_by_text("Order confirmed. We'll start production shortly.")).to_be_visible()
    expect(order_status(ada)).to_contain_text("Confirmed at €")
    expect(ada.get_by_role("button", name="Confirm order")).to_have_count(0)
    loads.clear()

    # The operator makes it; Ada's open page follows every step by itself.
    operator = visitor(OPERATOR)
    expect(operator.get_by_role("heading", level=1)).to_have_text("Production console")
    for step, customer_sees in [
        (PRODUCTION[0], "Your parts are being printed."),
        (PRODUCTION[1], "Your parts are printed and being checked."),
        (PASS_AND_SHIP[0], None),  # a passed check is not a state of the order: it waits to ship
        (PASS_AND_SHIP[1], "Your parts are on their way."),
    ]:
        produce(operator, order_id, [step])
        if customer_sees:
            expect(order_status(ada)).to_contain_text(customer_sees, timeout=PROPAGATION)
    mark_delivered(operator, order_id)
    expect(order_status(ada)).to_contain_text("Delivered. Thank you for your order!", timeout=PROPAGATION)
    assert loads == [], f"Ada's order page was loaded again: {loads}"
    expect(timeline(ada)).to_have_count(len(DELIVERED))
    expect(timeline(ada)).to_contain_text(DELIVERED)
    expect(timeline(ada).filter(has_text="In production")).to_contain_text("Production")
    steps = ada.get_by_role("complementary", name="Progress").get_by_role("listitem")
    expect(steps).to_have_text([re.compile(rf"^\s*{step}\s*\(done\)\s*$") for step in JOURNEY])

    ada.get_by_role("navigation", name="Main").get_by_role("link", name="My orders").click()
    mine = ada.get_by_role("row").filter(has=ada.get_by_role("link", name=f"Order {short_id(order_id)}"))
    expect(mine).to_contain_text("Delivered")


def test_a_failed_quality_check_is_reprinted_and_the_customer_sees_it(
    visitor: Visitor, stl: Callable[..., Path]
) -> None:
    buyer = visitor(BUYER)
    order_id = new_order(buyer, stl(), material="Nylon", process="SLS")
    wait_for_quote(buyer)
    expect(buyer.get_by_text("Includes your contract discount of 12%.")).to_be_visible()
    buyer.get_by_role("button", name="Confirm order").click()
    expect(order_status(buyer)).to_contain_text("Confirmed at €")

    operator = visitor(OPERATOR)
    produce(operator, order_id, [*PRODUCTION, ("Quality check", "QC fail", "failed QC")])
    expect(order_status(buyer)).to_contain_text("did not pass our quality check", timeout=PROPAGATION)
    expect(timeline(buyer).first).to_contain_text("Reprinting")

    # Back in the queue for a second attempt; once it starts, the customer sees the order in production again.
    queued = job_row(operator, "Queued", order_id)
    refresh_until(operator, queued)
    expect(queued.get_by_role("cell").nth(2)).to_have_text("2")  # the Attempt column
    produce(operator, order_id, PRODUCTION[:1])
    expect(order_status(buyer)).to_contain_text("Your parts are being printed.", timeout=PROPAGATION)
    expect(timeline(buyer)).to_have_count(len(REPRINTED))
    expect(timeline(buyer)).to_contain_text(REPRINTED)
    expect(buyer.get_by_role("complementary", name="Progress").locator("[aria-current=step]")).to_contain_text(
        "In production"
    )

    # The reprint passes; the order ends delivered, so the shared stack is left with no job in progress.
    produce(operator, order_id, [*PRODUCTION[1:], *PASS_AND_SHIP])
    mark_delivered(operator, order_id)
    expect(order_status(buyer)).to_contain_text("Delivered.", timeout=PROPAGATION)
