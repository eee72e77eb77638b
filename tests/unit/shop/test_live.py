"""The endpoint the order page polls, so the quote and the timeline arrive without reloading."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.unit.shop.fakes import FakeServices
from tests.unit.shop.flows import JSON, cube_bytes, place, upload
from tests.unit.shop.html import buttons, parse


@pytest.fixture
def order_id(customer: TestClient, tmp_path: Path) -> str:
    return place(customer, [upload(customer, cube_bytes(tmp_path))])


def live(client: TestClient, order_id: str, since: str = "") -> dict[str, Any]:
    response = client.get(f"/orders/{order_id}/live", params={"since": since}, headers=JSON)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    return body


def timeline_calls(services: FakeServices) -> int:
    return sum(r.url.path.endswith("/timeline") for r in services.crm.requests)


def test_an_unchanged_order_answers_briefly(customer: TestClient, services: FakeServices, order_id: str) -> None:
    first = live(customer, order_id)
    calls = timeline_calls(services)

    again = live(customer, order_id, since=first["updated_at"])

    assert again == {"state": "pricing", "updated_at": first["updated_at"], "final": False, "changed": False}
    assert timeline_calls(services) == calls, "nothing changed, so the timeline is not fetched"


def test_the_quote_arrives_with_its_status_actions_and_timeline(
    customer: TestClient, services: FakeServices, order_id: str
) -> None:
    before = live(customer, order_id)
    services.crm.quote(order_id, "7.50")

    update = live(customer, order_id, since=before["updated_at"])

    assert update["changed"] and update["state"] == "quoted" and update["updated_at"] != before["updated_at"]
    html = update["html"]
    assert set(html) == {"status", "quote", "actions", "progress", "timeline"}
    assert "Your quote is ready: €22.50." in parse(html["status"]).text()
    assert set(buttons(parse(html["actions"]))) == {"Confirm order", "Cancel order"}
    assert [e.text() for e in parse(html["timeline"]).find_all("span", class_="timeline-state")] == [
        "Quote ready",
        "Calculating price",
    ]


def test_a_delivered_order_tells_the_page_to_stop_polling(
    customer: TestClient, services: FakeServices, order_id: str
) -> None:
    services.crm.set_state(order_id, "delivered")
    assert live(customer, order_id)["final"] is True


def test_a_signed_out_poll_gets_401_for_the_script_to_act_on(anonymous: TestClient, order_id: str) -> None:
    response = anonymous.get(f"/orders/{order_id}/live", headers=JSON)
    assert response.status_code == 401 and response.json()["code"] == "sign-in-required"


def test_an_unreachable_crm_answers_503_so_the_page_shows_it_is_retrying(
    customer: TestClient, services: FakeServices, order_id: str
) -> None:
    services.down.add("crm.test")
    response = customer.get(f"/orders/{order_id}/live", headers=JSON)
    assert response.status_code == 503 and response.headers["content-type"] == "application/problem+json"


def test_the_order_page_carries_what_its_script_needs(customer: TestClient, order_id: str) -> None:
    page = parse(customer.get(f"/orders/{order_id}").text)
    [root] = [e for e in page.iter() if "data-order-live" in e.attrs]
    assert root.attrs["data-order-id"] == order_id and root.attrs["data-interval"] == "1000"
    assert {e.attrs["data-part"] for e in page.iter() if "data-part" in e.attrs} == {
        "status",
        "quote",
        "actions",
        "progress",
        "timeline",
    }
    assert page.find_all("script", src="/static/js/order-live.js")


def test_progress_of_the_pricing_counts_as_a_change(
    customer: TestClient, services: FakeServices, order_id: str
) -> None:
    services.mes.progress(order_id, 20.0, "as uploaded (1 of 3): Slicing model")
    first = live(customer, order_id)
    assert live(customer, order_id, since=first["updated_at"])["changed"] is False

    services.mes.progress(order_id, 55.0, "front down (2 of 3): Infilling layers")
    moved = live(customer, order_id, since=first["updated_at"])

    assert moved["changed"] is True and 'value="55.0"' in moved["html"]["status"]
