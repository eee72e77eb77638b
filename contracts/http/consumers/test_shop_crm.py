"""Shop -> CRM: what the Shop's `CrmClient` sends and reads (sign-in, account, orders, actions, stuck orders,
where an order is)."""

from __future__ import annotations

from datetime import datetime

from pact import match

from contracts.http import labels
from contracts.http.consumers import bodies
from contracts.http.consumers import shapes as s
from contracts.http.consumers.contract import JSON, Contract
from system.shop.clients import CrmClient

pytestmark = labels("shop -> crm")

CUSTOMER = "a customer signed in"
QUOTED = "a customer's quoted order"


async def test_sign_in(shop_crm: Contract) -> None:
    pact = shop_crm.pact()
    (
        pact.upon_receiving("a sign-in with the demo customer's credentials")
        .given("the demo customer ada@example.com with password demo")
        .with_request("POST", "/auth/login")
        .with_body({"email": "ada@example.com", "password": "demo"}, JSON)
        .will_respond_with(200)
        .with_body({"access_token": match.str("a-bearer-token"), "account": bodies.account()}, JSON)
    )
    async with shop_crm.serve(pact) as http:
        login = await CrmClient(http).login("ada@example.com", "demo")
    assert login.account.role == "customer"


async def test_the_signed_in_account(shop_crm: Contract) -> None:
    pact = shop_crm.pact()
    (
        pact.upon_receiving("a request for the signed-in account")
        .given(CUSTOMER)
        .with_request("GET", "/me")
        .with_header("Authorization", s.bearer())
        .will_respond_with(200)
        .with_body(bodies.account(), JSON)
    )
    async with shop_crm.serve(pact) as http:
        account = await CrmClient(http).me(s.TOKEN)
    assert account.id == s.ACCOUNT_ID


async def test_place_an_order(shop_crm: Contract) -> None:
    pact = shop_crm.pact()
    line = {"file_id": s.given("file_id", s.FILE_ID), "material": "pla", "process": "fdm", "quantity": 2}
    line |= {"lead_time_days": 7, "unit": "inch", "filename": "bracket.stl"}
    (
        pact.upon_receiving("an order for one of the customer's files")
        .given("a customer signed in with a stored model file drawn in inches")
        .with_request("POST", "/orders")
        .with_header("Authorization", s.bearer())
        .with_header("Idempotency-Key", match.regex("a1b2c3d4e5f6", regex=r"^\S{1,200}$"))
        .with_body({"lines": [line]}, JSON)
        .will_respond_with(201)
        .with_body(bodies.order("pricing"), JSON)
    )
    wanted = [{k: (s.FILE_ID if k == "file_id" else v) for k, v in line.items()}]
    async with shop_crm.serve(pact) as http:
        order = await CrmClient(http).place_order(s.TOKEN, wanted, "a1b2c3d4e5f6")
    assert order.state == "pricing"


async def test_the_customers_orders(shop_crm: Contract) -> None:
    pact = shop_crm.pact()
    (
        pact.upon_receiving("a request for the customer's orders")
        .given("a customer signed in with an order")
        .with_request("GET", "/orders")
        .with_header("Authorization", s.bearer())
        .will_respond_with(200)
        .with_body({"items": match.each_like(bodies.order())}, JSON)
    )
    async with shop_crm.serve(pact) as http:
        orders = await CrmClient(http).orders(s.TOKEN)
    assert orders[0].id == s.ORDER_ID


async def test_one_order(shop_crm: Contract) -> None:
    pact = shop_crm.pact()
    (
        pact.upon_receiving("a request for a quoted order")
        .given(QUOTED)
        .with_request("GET", s.path("/orders/{order_id}", order_id=s.ORDER_ID))
        .with_header("Authorization", s.bearer())
        .will_respond_with(200)
        .with_body(bodies.order("quoted", priced=True), JSON)
    )
    async with shop_crm.serve(pact) as http:
        order = await CrmClient(http).order(s.TOKEN, s.ORDER_ID)
    assert order.total_price is not None


async def test_an_orders_timeline(shop_crm: Contract) -> None:
    pact = shop_crm.pact()
    (
        pact.upon_receiving("a request for an order's timeline")
        .given(QUOTED)
        .with_request("GET", s.path("/orders/{order_id}/timeline", order_id=s.ORDER_ID))
        .with_header("Authorization", s.bearer())
        .will_respond_with(200)
        .with_body({"items": match.each_like(bodies.timeline_entry())}, JSON)
    )
    async with shop_crm.serve(pact) as http:
        timeline = await CrmClient(http).timeline(s.TOKEN, s.ORDER_ID)
    assert timeline[0].state == "pricing"


async def test_confirm_a_quote(shop_crm: Contract) -> None:
    pact = shop_crm.pact()
    (
        pact.upon_receiving("a confirmation of a quoted order")
        .given(QUOTED)
        .with_request("POST", s.path("/orders/{order_id}/confirm", order_id=s.ORDER_ID))
        .with_header("Authorization", s.bearer())
        .with_body({}, JSON)
        .will_respond_with(200)
        .with_body(bodies.order("confirmed", priced=True), JSON)
    )
    async with shop_crm.serve(pact) as http:
        order = await CrmClient(http).act(s.TOKEN, s.ORDER_ID, "confirm")
    assert order.state == "confirmed"


async def test_cancel_a_quote(shop_crm: Contract) -> None:
    pact = shop_crm.pact()
    (
        pact.upon_receiving("a cancellation of a quoted order")
        .given(QUOTED)
        .with_request("POST", s.path("/orders/{order_id}/cancel", order_id=s.ORDER_ID))
        .with_header("Authorization", s.bearer())
        .with_body({"reason": match.str("changed my mind")}, JSON)
        .will_respond_with(200)
        .with_body(bodies.order("cancelled", priced=True), JSON)
    )
    async with shop_crm.serve(pact) as http:
        order = await CrmClient(http).act(s.TOKEN, s.ORDER_ID, "cancel", {"reason": "changed my mind"})
    assert order.is_final


async def test_record_a_delivery(shop_crm: Contract) -> None:
    pact = shop_crm.pact()
    (
        pact.upon_receiving("an operator recording the delivery of a shipped order")
        .given("an operator signed in and a shipped order")
        .with_request("POST", s.path("/orders/{order_id}/deliver", order_id=s.ORDER_ID))
        .with_header("Authorization", s.bearer())
        .with_body({}, JSON)
        .will_respond_with(200)
        .with_body(bodies.order("delivered", priced=True), JSON)
    )
    async with shop_crm.serve(pact) as http:
        order = await CrmClient(http).act(s.TOKEN, s.ORDER_ID, "deliver")
    assert order.state == "delivered"


async def test_the_stuck_orders(shop_crm: Contract) -> None:
    pact = shop_crm.pact()
    (
        pact.upon_receiving("an operator's request for the orders stuck in their state")
        .given("an operator signed in and an order stuck in quoted")
        .with_request("GET", "/orders/stuck")
        .with_header("Authorization", s.bearer())
        .will_respond_with(200)
        # min=1: without it an empty list matches, and the verification would check no stuck order's shape.
        .with_body({"items": match.each_like(bodies.stuck_order(), min=1)}, JSON)
    )
    async with shop_crm.serve(pact) as http:
        stuck = await CrmClient(http).stuck(s.TOKEN)
    assert [(o.id, o.state_since) for o in stuck] == [(s.ORDER_ID, datetime.fromisoformat(s.WHEN))]


async def test_where_an_order_is(shop_crm: Contract) -> None:
    pact = shop_crm.pact()
    (
        pact.upon_receiving("an operator's request for where an order is")
        .given("an operator signed in and an order stuck in quoted")
        .with_request("GET", s.path("/orders/{order_id}/position", order_id=s.ORDER_ID))
        .with_header("Authorization", s.bearer())
        .will_respond_with(200)
        .with_body(bodies.position(), JSON)
    )
    async with shop_crm.serve(pact) as http:
        position = await CrmClient(http).position(s.TOKEN, s.ORDER_ID)
    assert position.stuck and position.holder == "customer" and position.timeline[0].state == "pricing"


async def test_liveness(shop_crm: Contract) -> None:
    pact = shop_crm.pact()
    pact.upon_receiving("the Shop's readiness check of the CRM").with_request("GET", "/healthz").will_respond_with(200)
    async with shop_crm.serve(pact) as http:
        await CrmClient(http).ping()
