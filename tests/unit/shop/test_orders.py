"""Placing orders and the order page: the quote, the buttons each state allows, confirming and cancelling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.fixtures.cad import l_bracket
from tests.fixtures.meshes import write_binary_stl
from tests.unit.shop.fakes import FakeServices
from tests.unit.shop.flows import cube_bytes, order_form, place, upload
from tests.unit.shop.html import Element, buttons, by_role, csrf_token, parse


def posted_orders(services: FakeServices) -> list[tuple[str | None, dict[str, object]]]:
    """(Idempotency-Key, body) of every POST /orders the CRM received."""
    return [
        (r.headers.get("idempotency-key"), json.loads(r.content))
        for r in services.crm.requests
        if (r.method, r.url.path) == ("POST", "/orders")
    ]


@pytest.fixture
def file_id(customer: TestClient, tmp_path: Path) -> str:
    return upload(customer, cube_bytes(tmp_path), "cube.stl")


def test_placing_an_order_sends_every_line_and_an_idempotency_key(
    customer: TestClient, services: FakeServices, tmp_path: Path, file_id: str
) -> None:
    other = upload(customer, cube_bytes(tmp_path), "lid.stl")
    form = order_form(customer, [file_id, other], material="petg", process="fdm", quantity="25", lead_time_days="14")

    response = customer.post("/orders", data=form)

    assert response.status_code == 303
    [(key, body)] = posted_orders(services)
    assert key == form["idempotency_key"][0] and len(key) >= 32
    line = {"material": "petg", "process": "fdm", "quantity": 25, "lead_time_days": 14, "unit": "mm"}
    files = [{"file_id": file_id, "filename": "cube.stl"}, {"file_id": other, "filename": "lid.stl"}]
    assert body == {"lines": [{**f, **line} for f in files]}
    [order_id] = services.crm.orders
    assert response.headers["location"] == f"/orders/{order_id}"


def test_submitting_the_same_form_twice_places_one_order(
    customer: TestClient, services: FakeServices, file_id: str
) -> None:
    form = order_form(customer, [file_id])

    first, second = customer.post("/orders", data=form), customer.post("/orders", data=form)

    assert first.headers["location"] == second.headers["location"]
    assert len(services.crm.orders) == 1
    assert len({key for key, _ in posted_orders(services)}) == 1


def test_every_new_order_form_has_its_own_key(customer: TestClient, file_id: str) -> None:
    assert order_form(customer, [file_id])["idempotency_key"] != order_form(customer, [file_id])["idempotency_key"]


def test_options_out_of_range_are_shown_next_to_their_field(
    customer: TestClient, services: FakeServices, file_id: str
) -> None:
    response = customer.post("/orders", data=order_form(customer, [file_id], quantity="0", lead_time_days="120"))

    assert response.status_code == 422
    doc = parse(response.text)
    assert by_role(doc, "alert")[0].text() == "Please correct the highlighted fields."
    errors = [e.text() for e in doc.find_all("p", class_="field-error")]
    assert errors == ["Enter a quantity from 1 to 10,000.", "Enter a lead time from 1 to 90 days."]
    assert [e.attrs["value"] for e in doc.find_all("input", name="quantity")] == ["0"], "the input is kept"
    assert posted_orders(services) == []


def test_a_model_that_reads_as_a_speck_in_mm_asks_for_its_unit_before_it_is_priced(
    customer: TestClient, services: FakeServices, tmp_path: Path
) -> None:
    vertices, faces = l_bracket()  # 1.3 x 1.0 x 0.75: drawn in inches
    bracket = upload(customer, write_binary_stl(tmp_path / "b.stl", vertices[faces]).read_bytes(), "bracket.stl")
    plain = upload(customer, cube_bytes(tmp_path), "cube.stl")
    page = parse(customer.get("/orders/new", params=[("file", bracket), ("file", plain)]).text)
    [question] = page.find_all("p", **{"data-unit-question": ""})
    times = "\N{MULTIPLICATION SIGN}"
    assert f"1.3 {times} 1 {times} 0.75 mm" in question.text() and "Was it drawn in inch or cm?" in question.text()
    chosen = [[o.attrs["value"] for o in s.find_all("option") if "selected" in o.attrs] for s in page.find_all(
        "select", name="unit")]  # fmt: skip
    assert chosen == [[""], ["mm"]], "no unit is assumed for the speck; the cube is plainly in mm"

    unanswered = customer.post("/orders", data=order_form(customer, [bracket], unit=""))
    assert unanswered.status_code == 422 and posted_orders(services) == []
    assert [e.text() for e in parse(unanswered.text).find_all("p", class_="field-error")] == [
        "Choose the unit the model was drawn in."
    ]
    assert customer.post("/orders", data=order_form(customer, [bracket], unit="inch")).status_code == 303
    [(_, body)] = posted_orders(services)
    assert body["lines"][0]["unit"] == "inch"  # type: ignore[index]


def test_an_order_needs_a_model(customer: TestClient, services: FakeServices) -> None:
    token = csrf_token(customer.get("/orders/new").text)
    response = customer.post("/orders", data={"csrf_token": token, "idempotency_key": "k"})
    assert response.status_code == 422 and "Upload at least one model" in response.text
    assert posted_orders(services) == []


def test_without_javascript_remove_takes_a_line_off_the_form(
    customer: TestClient, tmp_path: Path, file_id: str
) -> None:
    other = upload(customer, cube_bytes(tmp_path), "lid.stl")
    form = order_form(customer, [file_id, other])

    response = customer.post("/orders", data={**form, "remove": form["key"][0]})

    assert response.status_code == 200
    assert [e.text() for e in parse(response.text).find_all("legend")] == ["lid.stl"]


def test_when_the_crm_is_unreachable_trying_again_reuses_the_key(
    customer: TestClient, services: FakeServices, file_id: str
) -> None:
    form = order_form(customer, [file_id])
    services.down.add("crm.test")

    response = customer.post("/orders", data=form)

    assert response.status_code == 503
    assert "it will not create a second order" in by_role(parse(response.text), "alert")[0].text()
    assert f'name="idempotency_key" value="{form["idempotency_key"][0]}"' in response.text


def page_of(client: TestClient, order_id: str) -> Element:
    response = client.get(f"/orders/{order_id}")
    assert response.status_code == 200
    return parse(response.text)


def test_while_pricing_the_page_says_so_and_offers_only_cancel(customer: TestClient, file_id: str) -> None:
    doc = page_of(customer, place(customer, [file_id]))

    [status] = by_role(doc, "status")
    assert "We're calculating your price" in status.text()
    assert {"Confirm order", "Cancel order"} & set(buttons(doc)) == {"Cancel order"}


def test_while_pricing_a_long_quote_shows_how_far_it_has_come(
    customer: TestClient, services: FakeServices, file_id: str
) -> None:
    order_id = place(customer, [file_id])
    services.mes.progress(order_id, 46.3, "front down (2 of 5): Infilling layers")

    doc = page_of(customer, order_id)

    [bar] = doc.find_all("progress")
    assert (bar.attrs["value"], bar.attrs["max"]) == ("46.3", "100")
    assert "46 %" in by_role(doc, "status")[0].text()
    assert "Working out how best to build your part: front down (2 of 5): Infilling layers" in doc.text()


def test_another_customer_s_progress_is_not_shown_and_the_page_still_works(
    customer: TestClient, services: FakeServices, file_id: str
) -> None:
    order_id = place(customer, [file_id])  # the MES knows no progress for it: 404, as for someone else's order

    doc = page_of(customer, order_id)

    assert doc.find_all("progress") == [] and "We're calculating your price" in by_role(doc, "status")[0].text()


def test_a_quote_explains_how_each_line_adds_up_and_how_the_part_is_built(
    customer: TestClient, services: FakeServices, file_id: str
) -> None:
    order_id = place(customer, [file_id])
    services.crm.quote(order_id, "10.25")
    services.crm.orders[order_id]["lines"][0] |= {
        "breakdown": {"material": "1.63", "machine": "11.25", "quantity_discount": "0.00", "setup": "5.00",
                      "lead_time": "0.00", "contract_discount": "-2.00", "minimum_price": "0.00", "rounding": "0.00"},
        "build": {"orientation": "front down", "print_seconds": 6750, "material_cm3": 50.0, "support_cm3": 2.5,
                  "orientations": 5},
    }  # fmt: skip

    doc = page_of(customer, order_id)

    [breakdown] = doc.find_all("details", class_="breakdown")
    rows = {row.find_all("th")[0].text(): row.find_all("td")[0].text() for row in breakdown.find_all("tr")}
    discount = "\N{MINUS SIGN}€2.00"  # the typographic minus eur() writes
    assert rows == {"Material": "€1.63", "Machine time": "€11.25", "Setup": "€5.00", "Contract discount": discount}
    assert "Printed front down (the cheapest of 5 ways up we tried): 1 h 52 min of machine time" in breakdown.text()
    assert "50.0 cm³ of material per part, of which 2.5 cm³ supports" in breakdown.text()


def test_the_quote_shows_each_lines_price_warnings_and_the_total_in_euros(
    customer: TestClient, services: FakeServices, file_id: str
) -> None:
    order_id = place(customer, [file_id], quantity="120")
    services.crm.quote(order_id, "10.25", ["Thin walls under 0.8 mm may break."])

    doc = page_of(customer, order_id)

    assert "Your quote is ready: €1,230.00." in by_role(doc, "status")[0].text()
    cells = [td.text() for td in doc.find_all("td")]
    assert "€10.25" in cells and cells.count("€1,230.00") == 2  # line total and order total
    assert [li.text() for li in doc.find_all("ul", class_="warnings")[0].find_all("li")] == [
        "Thin walls under 0.8 mm may break."
    ]
    assert {"Confirm order", "Cancel order"} <= set(buttons(doc))


@pytest.mark.parametrize("state", ["in_production", "quality_check", "shipped", "delivered", "cancelled"])
def test_after_confirmation_there_is_nothing_to_confirm_or_cancel(
    customer: TestClient, services: FakeServices, file_id: str, state: str
) -> None:
    order_id = place(customer, [file_id])
    services.crm.set_state(order_id, state)

    doc = page_of(customer, order_id)

    assert not {"Confirm order", "Cancel order"} & set(buttons(doc))
    assert "Timeline" in doc.text()


def test_a_pricing_failure_is_explained_with_its_reasons(
    customer: TestClient, services: FakeServices, file_id: str
) -> None:
    order_id = place(customer, [file_id])
    services.crm.orders[order_id]["failure_reasons"] = ["The model is larger than our largest printer (300 mm)."]
    services.crm.set_state(order_id, "pricing_failed")

    [alert] = by_role(page_of(customer, order_id), "alert")

    assert "What went wrong" in alert.text()
    assert "larger than our largest printer" in alert.text()


def test_confirming_a_quote_moves_the_order_on(customer: TestClient, services: FakeServices, file_id: str) -> None:
    order_id = place(customer, [file_id])
    services.crm.quote(order_id, "4.00")
    token = csrf_token(customer.get(f"/orders/{order_id}").text)

    response = customer.post(f"/orders/{order_id}/confirm", data={"csrf_token": token})

    assert response.headers["location"] == f"/orders/{order_id}"
    assert services.crm.orders[order_id]["state"] == "confirmed"
    doc = page_of(customer, order_id)
    assert "Order confirmed." in doc.text() and "Confirmed" in by_role(doc, "status")[0].text()


def test_cancelling_passes_the_reason_and_a_refusal_is_shown(
    customer: TestClient, services: FakeServices, file_id: str
) -> None:
    order_id = place(customer, [file_id])
    token = csrf_token(customer.get(f"/orders/{order_id}").text)

    customer.post(f"/orders/{order_id}/cancel", data={"csrf_token": token, "reason": "Wrong file"})
    again = customer.post(f"/orders/{order_id}/cancel", data={"csrf_token": token})

    assert services.crm.timelines[order_id][-1]["note"] == "Wrong file"
    assert json.loads(next(r for r in services.crm.requests if r.url.path.endswith("/cancel")).content) == {
        "reason": "Wrong file"
    }
    assert again.status_code == 303
    [alert] = by_role(page_of(customer, order_id), "alert")
    assert alert.text().startswith("That didn't work: An order in state cancelled cannot be cancel")


def test_another_customers_order_is_asked_for_with_the_callers_own_token_and_shown_as_not_found(
    customer: TestClient, other_customer: TestClient, services: FakeServices, file_id: str
) -> None:
    """Who may see an order is the CRM's rule (its 404 for another customer's order, mirrored by the fake); the
    Shop's part is to ask as the signed-in customer, never with other credentials, and to show the 404 as its own
    not-found page, whether the order is opened, polled or acted on."""
    order_id = place(customer, [file_id])
    token = csrf_token(other_customer.get("/orders/new").text)
    before = len(services.crm.requests)

    opened = other_customer.get(f"/orders/{order_id}")
    polled = other_customer.get(f"/orders/{order_id}/live", headers={"Accept": "application/json"})
    cancelled = other_customer.post(f"/orders/{order_id}/cancel", data={"csrf_token": token})

    asked = [r for r in services.crm.requests[before:] if r.url.path.startswith(f"/orders/{order_id}")]
    assert {(r.method, r.url.path.removeprefix(f"/orders/{order_id}")) for r in asked} >= {
        ("GET", ""),
        ("POST", "/cancel"),
    }
    assert {services.crm.tokens[r.headers["authorization"].removeprefix("Bearer ")] for r in asked} == {
        "bob@example.com"
    }
    for page in (opened, cancelled):
        assert page.status_code == 404 and "<h1" in page.text and "Not found" in page.text, page.text
    assert (polled.status_code, polled.json()["code"]) == (404, "not-found")
    assert not [r for r in (opened, polled, cancelled) if "cube.stl" in r.text], "nothing of the order shows"
    assert services.crm.orders[order_id]["state"] == "pricing"


def test_my_orders_lists_each_order_with_its_state_and_total(
    customer: TestClient, services: FakeServices, file_id: str
) -> None:
    quoted = place(customer, [file_id])
    services.crm.quote(quoted, "19.99")

    doc = parse(customer.get("/orders").text)

    [row] = doc.find_all("tbody")[0].find_all("tr")
    assert row.find_all("a")[0].attrs["href"] == f"/orders/{quoted}"
    assert "Quote ready" in row.text() and "€59.97" in row.text()


def test_a_business_customer_sees_their_contract_discount(business: TestClient) -> None:
    assert "Your contract discount of 12.5% is included" in business.get("/orders/new").text


def test_a_link_with_a_mangled_order_id_is_not_found(customer: TestClient) -> None:
    response = customer.get("/orders/not-an-id")
    assert response.status_code == 404 and "Not found" in response.text


def test_an_operator_can_mark_a_shipped_order_delivered_from_its_page(
    customer: TestClient, operator: TestClient, services: FakeServices, file_id: str
) -> None:
    order_id = place(customer, [file_id])
    services.crm.set_state(order_id, "shipped")

    assert "Mark delivered" not in buttons(page_of(customer, order_id))
    page = operator.get(f"/orders/{order_id}").text
    assert "Mark delivered" in buttons(parse(page))
    operator.post(f"/orders/{order_id}/deliver", data={"csrf_token": csrf_token(page)})

    assert services.crm.orders[order_id]["state"] == "delivered"


def test_cancelling_a_confirmed_order_says_the_factory_decides_and_then_shows_a_refusal(
    customer: TestClient, services: FakeServices, file_id: str
) -> None:
    order_id = place(customer, [file_id])
    services.crm.set_state(order_id, "confirmed")
    token = csrf_token(customer.get(f"/orders/{order_id}").text)

    customer.post(f"/orders/{order_id}/cancel", data={"csrf_token": token, "reason": "Wrong file"})

    doc = page_of(customer, order_id)
    assert "We've asked the factory to cancel your order" in doc.text()
    assert "Cancellation requested" in by_role(doc, "status")[0].text() and "Cancel order" not in buttons(doc)
    # MES refuses: production had started; the CRM moves the order on and keeps the answer
    services.crm.orders[order_id]["cancellation"] = {"status": "refused", "reason": "production has already started"}
    services.crm.set_state(order_id, "in_production")
    refused = page_of(customer, order_id).text()
    assert "Your cancellation could not be accepted: production has already started." in refused
