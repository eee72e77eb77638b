"""Signing in and out, sessions that expire, and forms that must come from our own pages."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.unit.shop.conftest import PASSWORD, sign_in
from tests.unit.shop.fakes import FakeServices
from tests.unit.shop.html import by_role, csrf_token, parse


def test_a_customer_signs_in_and_lands_on_their_orders(anonymous: TestClient) -> None:
    token = csrf_token(anonymous.get("/signin").text)
    form = {"email": "alice@example.com", "password": PASSWORD, "csrf_token": token}

    response = anonymous.post("/signin", data=form)

    assert response.status_code == 303 and response.headers["location"] == "/orders"
    page = anonymous.get("/orders")
    assert page.status_code == 200 and "Alice Martin" in page.text


def test_an_operator_lands_on_the_console(anonymous: TestClient) -> None:
    token = csrf_token(anonymous.get("/signin").text)
    response = anonymous.post("/signin", data={"email": "olga@example.com", "password": PASSWORD, "csrf_token": token})
    assert response.headers["location"] == "/operator"


def test_a_wrong_password_says_so_and_keeps_the_email(anonymous: TestClient) -> None:
    token = csrf_token(anonymous.get("/signin").text)

    response = anonymous.post("/signin", data={"email": "alice@example.com", "password": "nope", "csrf_token": token})

    assert response.status_code == 401
    doc = parse(response.text)
    assert [a.text() for a in by_role(doc, "alert")] == ["The email or password is incorrect."]
    assert doc.find_all("input", id="email")[0].attrs["value"] == "alice@example.com"
    assert anonymous.get("/orders").status_code == 303, "still signed out"


def test_an_unreachable_crm_is_not_blamed_on_the_password(anonymous: TestClient, services: FakeServices) -> None:
    token = csrf_token(anonymous.get("/signin").text)
    services.down.add("crm.test")

    response = anonymous.post("/signin", data={"email": "alice@example.com", "password": PASSWORD, "csrf_token": token})

    assert response.status_code == 503
    assert "can't sign you in right now" in by_role(parse(response.text), "alert")[0].text()


def test_a_page_asks_to_sign_in_and_returns_there_afterwards(anonymous: TestClient) -> None:
    response = anonymous.get("/orders/new")
    assert response.status_code == 303 and response.headers["location"] == "/signin?next=%2Forders%2Fnew"

    page = anonymous.get(response.headers["location"]).text
    form = {"email": "alice@example.com", "password": PASSWORD, "csrf_token": csrf_token(page), "next": "/orders/new"}
    assert anonymous.post("/signin", data=form).headers["location"] == "/orders/new"


def test_after_sign_in_the_browser_never_leaves_the_site(anonymous: TestClient) -> None:
    token = csrf_token(anonymous.get("/signin").text)
    form = {"email": "alice@example.com", "password": PASSWORD, "csrf_token": token, "next": "//evil.example/x"}
    assert anonymous.post("/signin", data=form).headers["location"] == "/orders"


def test_a_form_without_this_sessions_csrf_token_is_refused(customer: TestClient, services: FakeServices) -> None:
    response = customer.post("/orders", data={"csrf_token": "forged", "file_id": "x"})
    assert response.status_code == 403
    assert not [r for r in services.crm.requests if r.url.path == "/orders" and r.method == "POST"]


def test_signing_out_forgets_the_session(customer: TestClient) -> None:
    token = csrf_token(customer.get("/orders").text)

    response = customer.post("/signout", data={"csrf_token": token})

    assert response.headers["location"] == "/signin"
    assert "You have signed out." in customer.get("/signin").text
    assert customer.get("/orders").status_code == 303


def test_an_expired_token_sends_the_customer_to_sign_in_again(customer: TestClient, services: FakeServices) -> None:
    services.crm.tokens.clear()  # the CRM no longer accepts the token

    response = customer.get("/orders")

    assert response.status_code == 303 and response.headers["location"] == "/signin?next=%2Forders"
    assert "Your session has expired" in customer.get("/signin?next=/orders").text
    sign_in(customer, "alice@example.com")
    assert customer.get("/orders").status_code == 200
