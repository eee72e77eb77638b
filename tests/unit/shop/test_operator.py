"""The operator console: jobs by state with their next actions, and shipped orders to mark delivered."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.unit.shop.fakes import FakeServices
from tests.unit.shop.flows import cube_bytes, place, upload
from tests.unit.shop.html import Element, buttons, by_role, csrf_token, parse


@pytest.fixture
def order_id(customer: TestClient, tmp_path: Path) -> str:
    return place(customer, [upload(customer, cube_bytes(tmp_path))])


def section(doc: Element, state: str) -> Element:
    [found] = [s for s in doc.find_all("section") if s.attrs.get("aria-labelledby") == f"jobs-{state}-title"]
    return found


def test_jobs_are_grouped_by_state_with_their_next_actions(
    operator: TestClient, services: FakeServices, order_id: str
) -> None:
    for state in ("queued", "printing", "qc", "passed"):
        services.mes.add_job(order_id, state)

    doc = parse(operator.get("/operator").text)

    def actions(state: str) -> list[str]:
        return [name.split(" job ")[0] for name in buttons(section(doc, state))]

    assert actions("queued") == ["Start"]
    assert actions("printing") == ["Complete"]
    assert actions("qc") == ["QC pass", "QC fail"]
    assert actions("passed") == ["Ship"]


@pytest.mark.parametrize(
    ("state", "action", "after"),
    [("queued", "start", "printing"), ("qc", "qc-fail", "queued"), ("passed", "ship", "shipped")],
)
def test_an_action_is_sent_to_the_mes_with_the_operators_token(
    operator: TestClient, services: FakeServices, order_id: str, state: str, action: str, after: str
) -> None:
    job = services.mes.add_job(order_id, state)
    token = csrf_token(operator.get("/operator").text)

    response = operator.post(f"/operator/jobs/{job['id']}/{action}", data={"csrf_token": token})

    assert response.status_code == 303 and response.headers["location"] == "/operator"
    assert services.mes.jobs[job["id"]]["state"] == after
    [call] = [r for r in services.mes.requests if r.method == "POST"]
    assert call.url.path == f"/production-jobs/{job['id']}/{action}"
    assert (services.crm.caller(call) or {}).get("role") == "operator"
    assert "Job " in operator.get("/operator").text


def test_a_refused_transition_is_reported(operator: TestClient, services: FakeServices, order_id: str) -> None:
    job = services.mes.add_job(order_id, "shipped")
    token = csrf_token(operator.get("/operator").text)

    operator.post(f"/operator/jobs/{job['id']}/start", data={"csrf_token": token})

    [alert] = by_role(parse(operator.get("/operator").text), "alert")
    assert "was not changed: A shipped job cannot start." in alert.text()


def test_a_shipped_order_can_be_marked_delivered(operator: TestClient, services: FakeServices, order_id: str) -> None:
    services.crm.set_state(order_id, "shipped")
    page = operator.get("/operator").text
    assert any(name.startswith("Mark delivered") for name in buttons(parse(page)))

    operator.post(f"/operator/orders/{order_id}/deliver", data={"csrf_token": csrf_token(page)})

    assert services.crm.orders[order_id]["state"] == "delivered"
    assert "marked as delivered" in operator.get("/operator").text


def test_a_customer_cannot_open_the_console(customer: TestClient, services: FakeServices, order_id: str) -> None:
    job = services.mes.add_job(order_id)
    token = csrf_token(customer.get("/orders").text)

    page = customer.get("/operator")
    action = customer.post(f"/operator/jobs/{job['id']}/start", data={"csrf_token": token})

    assert page.status_code == 403 and "This page is for operators" in page.text
    assert action.status_code == 403
    assert services.mes.requests == []


def test_the_console_needs_sign_in(anonymous: TestClient) -> None:
    response = anonymous.get("/operator")
    assert response.status_code == 303 and response.headers["location"] == "/signin?next=%2Foperator"


def test_the_console_works_when_stuck_orders_are_unavailable(
    operator: TestClient, services: FakeServices, order_id: str
) -> None:
    services.mes.add_job(order_id)
    services.crm.failing.add("/orders/stuck")

    response = operator.get("/operator")

    assert response.status_code == 200 and "Needs attention" not in response.text
    assert [n.split(" job ")[0] for n in buttons(section(parse(response.text), "queued"))] == ["Start"]


def test_stuck_orders_are_pointed_out(operator: TestClient, services: FakeServices, order_id: str) -> None:
    services.crm.stuck.append(order_id)

    doc = parse(operator.get("/operator").text)

    [attention] = [s for s in doc.find_all("section") if s.attrs.get("aria-labelledby") == "stuck-title"]
    assert f"/orders/{order_id}" in [a.attrs["href"] for a in attention.find_all("a")]
    assert "Calculating price" in attention.text()
