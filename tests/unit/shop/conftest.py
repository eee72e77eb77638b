"""The Shop app wired to in-memory fakes of the CRM, MES and File Service, and signed-in browsers."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from system.shop.app import build_app
from system.shop.clients import Clients
from system.shop.settings import ShopSettings
from tests.unit.shop.fakes import CRM, FILES, MES, FakeServices
from tests.unit.shop.html import csrf_token

SETTINGS = ShopSettings(
    crm_url=CRM,
    mes_url=MES,
    files_url=FILES,
    session_secret="test-secret-" + "x" * 20,
    public_url="http://testserver",
    max_upload_bytes=2**20,
)
PASSWORD = "correct horse battery staple"


@pytest.fixture
def services() -> FakeServices:
    fakes = FakeServices()
    fakes.crm.add_account("alice@example.com", PASSWORD, name="Alice Martin")
    fakes.crm.add_account("bob@example.com", PASSWORD, name="Bob Stone")
    fakes.crm.add_account("olga@example.com", PASSWORD, role="operator", name="Olga Operator")
    fakes.crm.add_account("acme@example.com", PASSWORD, kind="b2b", contract_discount_pct="12.50", name="Acme GmbH")
    return fakes


@pytest.fixture
def app(services: FakeServices) -> FastAPI:
    return build_app(SETTINGS, Clients.build(SETTINGS, services.transport()))


def browser(app: FastAPI) -> TestClient:
    """A fresh browser with its own cookie jar (no lifespan: several browsers share the app's clients)."""
    return TestClient(app, follow_redirects=False, headers={"Accept": "text/html,application/xhtml+xml"})


def sign_in(client: TestClient, email: str) -> TestClient:
    """Sign `client` in through the real sign-in form."""
    token = csrf_token(client.get("/signin").text)
    response = client.post("/signin", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def anonymous(app: FastAPI) -> TestClient:
    return browser(app)


@pytest.fixture
def customer(app: FastAPI) -> TestClient:
    return sign_in(browser(app), "alice@example.com")


@pytest.fixture
def operator(app: FastAPI) -> TestClient:
    return sign_in(browser(app), "olga@example.com")


@pytest.fixture
def other_customer(app: FastAPI) -> TestClient:
    return sign_in(browser(app), "bob@example.com")


@pytest.fixture
def business(app: FastAPI) -> TestClient:
    return sign_in(browser(app), "acme@example.com")
