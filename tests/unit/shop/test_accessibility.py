"""Accessibility basics on every page: labelled controls, one h1, landmarks, unique ids, named buttons."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.unit.shop.fakes import FakeServices
from tests.unit.shop.flows import cube_bytes, order_form, place, upload
from tests.unit.shop.html import Element, buttons, by_role, parse, unlabelled_controls


def assert_accessible(html: str, *, signed_in: bool = True) -> Element:
    doc = parse(html)
    assert doc.find_all("html")[0].attrs.get("lang") == "en"
    assert doc.find_all("title")[0].text(), "every page has a title"
    assert len(doc.find_all("h1")) == 1, "one h1 per page"
    roles = Counter(e.role() for e in doc.iter())
    assert roles["banner"] == roles["main"] == roles["contentinfo"] == 1
    assert roles["navigation"] >= (1 if signed_in else 0)
    assert unlabelled_controls(doc) == []
    ids = Counter(e.attrs["id"] for e in doc.iter() if "id" in e.attrs)
    assert [i for i, n in ids.items() if n > 1] == [], "ids are unique"
    assert all(name for name in buttons(doc)), "every button has a name"
    assert all(img.attrs.get("alt") is not None for img in doc.find_all("img"))
    assert doc.find_all("a", class_="skip-link")[0].attrs["href"] == "#main"
    return doc


def test_sign_in_page(anonymous: TestClient) -> None:
    doc = assert_accessible(anonymous.get("/signin").text, signed_in=False)
    assert doc.find_all("input", id="email")[0].attrs["autocomplete"] == "username"


def test_new_order_page_with_two_lines(customer: TestClient, tmp_path: Path) -> None:
    files = [upload(customer, cube_bytes(tmp_path), name) for name in ("a.stl", "b.stl")]
    doc = assert_accessible(customer.get("/orders/new", params=[("file", f) for f in files]).text)
    assert len(doc.find_all("fieldset")) == 2 and all(f.find_all("legend") for f in doc.find_all("fieldset"))
    assert len(by_role(doc, "status")) == 1, "one live region announces upload progress"


def test_new_order_page_with_errors_ties_each_message_to_its_field(customer: TestClient, tmp_path: Path) -> None:
    form = order_form(customer, [upload(customer, cube_bytes(tmp_path))], quantity="abc")
    doc = assert_accessible(customer.post("/orders", data=form).text)
    [invalid] = [e for e in doc.iter() if e.attrs.get("aria-invalid") == "true"]
    assert doc.find_all(id=invalid.attrs["aria-describedby"])[0].text() == "Enter a quantity from 1 to 10,000."


@pytest.mark.parametrize("state", ["pricing", "quoted", "pricing_failed", "shipped", "cancelled"])
def test_order_page(customer: TestClient, services: FakeServices, tmp_path: Path, state: str) -> None:
    order_id = place(customer, [upload(customer, cube_bytes(tmp_path))])
    services.crm.set_state(order_id, state)
    doc = assert_accessible(customer.get(f"/orders/{order_id}").text)
    assert len(by_role(doc, "status")) == 1, "exactly one status region: the quote"


def test_my_orders_empty_and_filled(customer: TestClient, tmp_path: Path) -> None:
    assert "No orders yet" in assert_accessible(customer.get("/orders").text).text()
    place(customer, [upload(customer, cube_bytes(tmp_path))])
    doc = assert_accessible(customer.get("/orders").text)
    headers = doc.find_all("thead")[0].find_all("th")
    assert headers and all(th.attrs.get("scope") == "col" for th in headers)


def test_operator_console(operator: TestClient, services: FakeServices, customer: TestClient, tmp_path: Path) -> None:
    order_id = place(customer, [upload(customer, cube_bytes(tmp_path))])
    services.mes.add_job(order_id, "qc")
    services.mes.add_job(order_id, "queued")
    doc = assert_accessible(operator.get("/operator").text)
    assert len(set(buttons(doc))) == len(buttons(doc)), "each action button names its job"


def test_error_pages(customer: TestClient) -> None:
    response = customer.get("/no-such-page")
    assert response.status_code == 404
    assert_accessible(response.text)


def test_where_is_my_order(operator: TestClient, services: FakeServices, customer: TestClient, tmp_path: Path) -> None:
    order_id = place(customer, [upload(customer, cube_bytes(tmp_path))])
    services.crm.overstay(order_id)
    services.crm.dead_letter(order_id, "order.priced", 5, "failed after 5 attempts")
    assert_accessible(operator.get("/operator/orders").text)
    assert_accessible(operator.get("/operator/orders", params={"order": "not an id"}).text)
    doc = assert_accessible(operator.get(f"/operator/orders/{order_id}").text)
    headers = [th for thead in doc.find_all("thead") for th in thead.find_all("th")]
    assert headers and all(th.attrs.get("scope") == "col" for th in headers)
