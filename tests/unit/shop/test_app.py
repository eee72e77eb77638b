"""The service shape: health, readiness against the CRM, metrics, static assets, headers, settings."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from system.shop.settings import ShopSettings
from tests.unit.shop.fakes import FakeServices
from tests.unit.shop.html import parse


def test_health_and_readiness(anonymous: TestClient, services: FakeServices) -> None:
    assert anonymous.get("/healthz").json() == {"status": "ok", "service": "shop"}
    assert anonymous.get("/readyz").status_code == 200
    services.down.add("crm.test")
    not_ready = anonymous.get("/readyz")
    assert not_ready.status_code == 503 and "crm" in not_ready.json()["checks"]


def test_metrics_are_exposed(anonymous: TestClient) -> None:
    anonymous.get("/signin")
    assert 'http_requests_total{method="GET",route="/signin",service="shop"' in anonymous.get("/metrics").text


def test_static_assets_are_served_locally(anonymous: TestClient) -> None:
    page = anonymous.get("/signin").text
    for asset in ("/static/css/shop.css", "/static/js/shop.js", "/static/js/new-order.js", "/static/js/order-live.js"):
        response = anonymous.get(asset)
        assert response.status_code == 200 and response.content, asset
    doc = parse(page)
    assets = [e for e in doc.iter() if e.tag in ("script", "link", "img")]
    sources = [e.attrs.get("src") or e.attrs.get("href") or "" for e in assets]
    assert sources and all(s.startswith(("/static/", "data:")) for s in sources), "nothing from other sites"


def test_pages_are_private_and_locked_down(anonymous: TestClient) -> None:
    response = anonymous.get("/signin")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    cookie = response.headers["set-cookie"]
    assert "shop_session=" in cookie and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()


def test_the_start_page_sends_each_visitor_where_they_belong(
    anonymous: TestClient, customer: TestClient, operator: TestClient
) -> None:
    assert [c.get("/").headers["location"] for c in (anonymous, customer, operator)] == [
        "/signin",
        "/orders",
        "/operator",
    ]


def test_settings_fail_fast_on_missing_or_invalid_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_CRM_URL", "crm.internal:8000")
    monkeypatch.setenv("SHOP_MES_URL", "http://mes")
    monkeypatch.setenv("SHOP_FILES_URL", "http://files/")
    with pytest.raises(ValidationError) as failure:
        ShopSettings()
    fields = {e["loc"][0] for e in failure.value.errors()}
    assert fields == {"crm_url", "session_secret"}

    monkeypatch.setenv("SHOP_CRM_URL", "https://crm.internal/")
    monkeypatch.setenv("SHOP_SESSION_SECRET", "s" * 32)
    monkeypatch.setenv("SHOP_PUBLIC_URL", "https://shop.example")
    settings = ShopSettings()
    assert settings.crm_url == "https://crm.internal" and settings.files_url == "http://files"
    assert settings.secure_cookies
