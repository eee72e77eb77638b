"""Who may see what: signing in, the operator console, other customers' orders."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import expect

from e2e.shop import ADA, BUYER, PASSWORD, Visitor, new_order, order_status, short_id


def test_a_signed_out_visitor_signs_in_and_lands_where_they_were_going(visitor: Visitor) -> None:
    page = visitor(None)
    page.goto("/orders/new")
    expect(page).to_have_url(re.compile(r"/signin\?next=%2Forders%2Fnew$"))
    page.get_by_label("Email").fill(ADA)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("The email or password is incorrect.")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/orders/new$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("New order")


def test_a_customer_cannot_open_the_operator_console(visitor: Visitor) -> None:
    ada = visitor(ADA)
    expect(ada.get_by_role("navigation", name="Main").get_by_role("link", name="Production console")).to_have_count(0)

    response = ada.goto("/operator")
    assert response is not None and response.status == 403
    expect(ada.get_by_role("heading", level=1)).to_have_text("Not available")
    expect(ada.get_by_text("This page is for operators. Your orders are under My orders.")).to_be_visible()
    expect(ada.get_by_role("button", name=re.compile(r"^Start job"))).to_have_count(0)


def test_another_customers_order_is_not_found(visitor: Visitor, stl: Callable[..., Path]) -> None:
    buyer = visitor(BUYER)
    order_id = new_order(buyer, stl())

    ada = visitor(ADA)
    response = ada.goto(f"/orders/{order_id}")
    assert response is not None and response.status == 404
    expect(ada.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(ada.get_by_text(short_id(order_id))).to_have_count(0)
    assert ada.request.get(f"/orders/{order_id}/live").status == 404  # nor through what the page polls
    ada.goto("/orders")
    expect(ada.get_by_role("link", name=f"Order {short_id(order_id)}")).to_have_count(0)

    # The owner still sees it, and withdraws it so the shared stack keeps no open order from this test.
    buyer.get_by_role("button", name="Cancel order").click()
    expect(order_status(buyer)).to_contain_text("This order was cancelled.")
