"""Where is my order (operators): the stuck orders, a lookup by id, and an order's position with what explains it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from system.shop.app import build_app
from system.shop.clients import Clients
from system.shop.settings import ShopSettings
from tests.unit.shop.conftest import SETTINGS, browser, sign_in
from tests.unit.shop.fakes import FakeServices
from tests.unit.shop.flows import cube_bytes, place, upload
from tests.unit.shop.html import Element, by_role, label_for, parse

TRACES = "http://127.0.0.1:14318"  # the Shop's default trace sink


@pytest.fixture
def order_id(customer: TestClient, tmp_path: Path) -> str:
    return place(customer, [upload(customer, cube_bytes(tmp_path))])


def region(doc: Element, title_id: str) -> Element:
    [found] = [s for s in doc.find_all("section") if s.attrs.get("aria-labelledby") == title_id]
    return found


def facts(doc: Element) -> dict[str, str]:
    """The position's facts, term -> description, as a screen reader reads them."""
    [dl] = doc.find_all("dl")
    terms = [e.text() for e in dl.find_all("dt")]
    return dict(zip(terms, [e.text() for e in dl.find_all("dd")], strict=True))


def test_the_stuck_orders_are_listed_with_links_to_where_they_are(
    operator: TestClient, services: FakeServices, order_id: str
) -> None:
    services.crm.overstay(order_id)

    doc = parse(operator.get("/operator/orders").text)

    stuck = region(doc, "stuck-list-title")
    assert [a.attrs["href"] for a in stuck.find_all("a")] == [f"/operator/orders/{order_id}"]
    assert "Calculating price" in stuck.text() and "1 h" in stuck.text()


def test_no_stuck_order_is_said_and_the_lookup_is_offered(operator: TestClient) -> None:
    doc = parse(operator.get("/operator/orders").text)

    assert "No order is stuck." in region(doc, "stuck-list-title").text()
    assert label_for(doc, "Order id").attrs["name"] == "order"
    assert by_role(doc, "search")


def test_the_lookup_still_works_when_the_stuck_orders_cannot_be_listed(
    operator: TestClient, services: FakeServices, order_id: str
) -> None:
    services.crm.failing.add("/orders/stuck")

    response = operator.get("/operator/orders")

    assert response.status_code == 200
    assert "cannot be listed right now" in region(parse(response.text), "stuck-list-title").text()
    assert operator.get(f"/operator/orders?order={order_id}").status_code == 303


def test_a_lookup_by_id_leads_to_the_orders_position(operator: TestClient, order_id: str) -> None:
    response = operator.get("/operator/orders", params={"order": f"  {order_id.upper()} "})

    assert response.status_code == 303 and response.headers["location"] == f"/operator/orders/{order_id}"
    assert operator.get(response.headers["location"]).status_code == 200


def test_a_lookup_by_something_else_says_what_to_enter(operator: TestClient) -> None:
    response = operator.get("/operator/orders", params={"order": "1A2B3C4D"})

    assert response.status_code == 422
    doc = parse(response.text)
    [alert] = by_role(doc, "alert")
    assert "enter the full id" in alert.text()
    field = label_for(doc, "Order id")
    assert (field.attrs["value"], field.attrs.get("aria-invalid")) == ("1A2B3C4D", "true")


def test_an_unknown_order_is_said_on_the_lookup_page(operator: TestClient) -> None:
    missing = str(uuid.uuid4())

    response = operator.get(f"/operator/orders/{missing}")

    assert response.status_code == 404
    [alert] = by_role(parse(response.text), "alert")
    assert alert.text() == f"No order has the id {missing}."


def test_the_position_shows_state_since_limit_holder_trace_dead_letters_and_timeline(
    operator: TestClient, services: FakeServices, order_id: str
) -> None:
    services.crm.overstay(order_id)
    services.crm.dead_letter(order_id, "order.priced", 5, "failed after 5 attempts: TimeoutError()")
    trace_id = services.crm.orders[order_id]["trace_id"]

    doc = parse(operator.get(f"/operator/orders/{order_id}").text)

    assert doc.find_all("h1")[0].text() == f"Where is Order {order_id.replace('-', '')[:8].upper()}"
    shown = facts(doc)
    assert shown["State"] == "Calculating price" and shown["Held by"] == "pricing pool (via MES)"
    assert shown["Since"].endswith("for 1 h 35 min") and shown["Limit"] == "35 min, exceeded by 1 h 0 min"
    assert "Stuck" in region(doc, "position-title").text()
    [trace] = [a for a in doc.find_all("a") if a.text() == trace_id]
    assert trace.attrs["href"] == f"{TRACES}/api/traces/{trace_id}/waterfall.svg"
    letters = region(doc, "dead-letters-title")
    [row] = letters.find_all("tbody")[0].find_all("tr")
    assert [c.text() for c in row.children if isinstance(c, Element)][:4] == [
        "order.priced", "5", "failed after 5 attempts: TimeoutError()", "crm.mes-events",
    ]  # fmt: skip
    steps = region(doc, "position-timeline-title").find_all("tbody")[0].find_all("tr")
    assert len(steps) == 1 and "Calculating price" in steps[0].text()
    assert steps[0].find_all("a")[0].attrs["href"] == trace.attrs["href"]


def test_an_order_on_time_shows_what_is_left_and_no_dead_letters(
    operator: TestClient, services: FakeServices, order_id: str
) -> None:
    services.crm.set_state(order_id, "quoted")

    doc = parse(operator.get(f"/operator/orders/{order_id}").text)

    shown = facts(doc)
    assert shown["Held by"] == "customer" and shown["Limit"].startswith("14 d 0 h, 13 d 23 h left")
    assert "Stuck" not in region(doc, "position-title").text()
    assert "No message about this order is in a dead-letter queue." in region(doc, "dead-letters-title").text()


def test_a_finished_order_is_held_by_nobody(operator: TestClient, services: FakeServices, order_id: str) -> None:
    services.crm.set_state(order_id, "delivered")

    shown = facts(parse(operator.get(f"/operator/orders/{order_id}").text))

    assert shown["Held by"] == "Nobody: the order is finished"
    assert shown["Limit"] == "None: an order may stay in this state"


def test_an_order_placed_before_trace_ids_were_kept_says_so(
    operator: TestClient, services: FakeServices, order_id: str
) -> None:
    services.crm.orders[order_id]["trace_id"] = None

    shown = facts(parse(operator.get(f"/operator/orders/{order_id}").text))

    assert shown["Trace"] == "Not recorded: the order was placed before trace ids were kept"


def test_without_a_trace_sink_the_trace_id_is_shown_without_a_link(
    services: FakeServices, customer: TestClient, order_id: str
) -> None:
    settings = SETTINGS.model_copy(update={"traces_url": None})
    operator = sign_in(browser(build_app(settings, Clients.build(settings, services.transport()))), "olga@example.com")
    trace_id = services.crm.orders[order_id]["trace_id"]

    doc = parse(operator.get(f"/operator/orders/{order_id}").text)

    assert facts(doc)["Trace"] == trace_id
    assert not [a for a in doc.find_all("a") if "/api/traces/" in a.attrs.get("href", "")]


def test_an_unreachable_broker_is_a_temporary_problem(
    operator: TestClient, services: FakeServices, order_id: str
) -> None:
    services.crm.broker_down = True

    response = operator.get(f"/operator/orders/{order_id}")

    assert response.status_code == 503 and "Temporarily unavailable" in response.text


def test_customers_cannot_open_where_is_my_order(
    customer: TestClient, services: FakeServices, order_id: str, operator: TestClient
) -> None:
    nav = by_role(parse(customer.get("/orders").text), "navigation")[0]

    pages = [customer.get("/operator/orders"), customer.get(f"/operator/orders/{order_id}")]
    pages.append(customer.get("/operator/orders", params={"order": order_id}))

    assert [p.status_code for p in pages] == [403, 403, 403]
    assert all("This page is for operators" in p.text for p in pages)
    assert "Where is my order" not in nav.text()
    assert not [r for r in services.crm.requests if r.url.path.endswith("/position")]
    assert "Where is my order" in by_role(parse(operator.get("/operator").text), "navigation")[0].text()


def test_where_is_my_order_needs_sign_in(anonymous: TestClient) -> None:
    response = anonymous.get("/operator/orders")
    assert response.status_code == 303 and response.headers["location"] == "/signin?next=%2Foperator%2Forders"


def test_the_trace_links_to_where_the_deployment_s_trace_ui_shows_it(
    services: FakeServices, customer: TestClient, order_id: str
) -> None:
    settings = SETTINGS.model_copy(update={"traces_url": "https://jaeger.example", "trace_link": "/trace/{trace_id}"})
    operator = sign_in(browser(build_app(settings, Clients.build(settings, services.transport()))), "olga@example.com")
    trace_id = services.crm.orders[order_id]["trace_id"]

    doc = parse(operator.get(f"/operator/orders/{order_id}").text)

    [trace] = [a for a in doc.find_all("a") if a.text() == trace_id]
    assert trace.attrs["href"] == f"https://jaeger.example/trace/{trace_id}"


def test_a_trace_link_that_names_no_trace_is_refused() -> None:
    with pytest.raises(ValidationError, match="must be a path naming"):
        ShopSettings(**{**SETTINGS.model_dump(), "trace_link": "/trace/"})
