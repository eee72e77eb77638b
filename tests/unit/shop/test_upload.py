"""Uploads: the Shop relays the browser's bytes to the File Service's presigned URL(s) and explains rejections."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from tests.fixtures import meshes
from tests.unit.shop.fakes import FakeServices
from tests.unit.shop.flows import JSON, cube_bytes, upload
from tests.unit.shop.html import by_role, csrf_token, label_for, parse


def post_file(
    client: TestClient, data: bytes, name: str, headers: dict[str, str] | None = None, **form: str
) -> httpx.Response:
    token = csrf_token(client.get("/orders/new").text)
    response: httpx.Response = client.post(
        "/upload", data={"csrf_token": token, **form}, files={"file": (name, data)}, headers=headers
    )
    return response


def test_an_uploaded_model_becomes_a_new_order_line(
    customer: TestClient, services: FakeServices, tmp_path: Path
) -> None:
    data = cube_bytes(tmp_path)

    response = post_file(customer, data, "bracket.stl", JSON)

    assert response.status_code == 201
    body = response.json()
    assert body["file"]["triangle_count"] == 12 and body["file"]["filename"] == "bracket.stl"
    line = parse(body["line_html"])
    assert line.find_all("legend")[0].text() == "bracket.stl"
    assert label_for(line, "Material").tag == "select" and label_for(line, "Quantity").attrs["type"] == "number"
    [put] = services.files.puts
    assert put.content == data and put.headers["content-length"] == str(len(data))


def test_a_large_model_goes_up_in_parts_with_their_etags(
    customer: TestClient, services: FakeServices, tmp_path: Path
) -> None:
    data = meshes.write_sphere_binary(tmp_path / "sphere.stl", subdivisions=2).read_bytes()
    assert len(data) > services.files.multipart_threshold

    file_id = upload(customer, data, "sphere.stl")

    assert len(services.files.puts) == math.ceil(len(data) / services.files.part_size)
    assert b"".join(p.content for p in services.files.puts) == data
    assert services.files.files[file_id]["size"] == len(data), "completed with every part's ETag"


def test_an_invalid_model_is_explained_to_the_script(customer: TestClient, services: FakeServices) -> None:
    response = post_file(customer, b"this is not a 3D model at all, just some text", "notes.stl", JSON)

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "unrecognised-format"
    assert body["message"].startswith("We couldn't use “notes.stl”: ")
    assert "not a 3D model we can read" in body["message"]
    assert body["tip"] == "We accept STL (binary or ASCII) and 3MF files."
    assert services.files.files == {}


def test_an_invalid_model_is_explained_on_the_page_without_javascript(customer: TestClient, tmp_path: Path) -> None:
    data = meshes.write_truncated_binary(tmp_path / "broken.stl").read_bytes()

    response = post_file(customer, data, "broken.stl")

    assert response.status_code == 422
    [alert] = by_role(parse(response.text), "alert")
    assert "We couldn't use “broken.stl”" in alert.text() and "Export it again" in alert.text()
    assert 'action="/upload"' in response.text, "the customer can try another file right there"


def test_without_javascript_an_upload_returns_to_the_form_with_every_model_so_far(
    customer: TestClient, tmp_path: Path
) -> None:
    first = upload(customer, cube_bytes(tmp_path), "first.stl")

    response = post_file(customer, cube_bytes(tmp_path), "second.stl", keep=first)

    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(f"/orders/new?file={first}&file=")
    legends = [e.text() for e in parse(customer.get(location).text).find_all("legend")]
    assert legends == ["first.stl", "second.stl"]


def test_a_customer_sees_their_own_name_for_bytes_another_customer_uploaded_first(
    customer: TestClient, other_customer: TestClient, services: FakeServices, tmp_path: Path
) -> None:
    data = cube_bytes(tmp_path)
    upload(other_customer, data, "acme-prototype.stl")

    body = post_file(customer, data, "bracket.stl", JSON).json()  # the drop zone's script
    assert body["file"]["filename"] == "bracket.stl" and "acme-prototype" not in json.dumps(body)
    assert parse(body["line_html"]).find_all("legend")[0].text() == "bracket.stl"

    # Without JavaScript the name travels with the file's id: to the form, past a failed upload, to the order.
    location = post_file(customer, data, "bracket.stl").headers["location"]
    page = customer.get(location).text
    assert "acme-prototype" not in page and [e.text() for e in parse(page).find_all("legend")] == ["bracket.stl"]
    file_id = body["file"]["id"]
    failed = post_file(customer, b"not a model", "notes.stl", keep=file_id, keep_name="bracket.stl")
    assert [e.text() for e in parse(failed.text).find_all("legend")] == ["bracket.stl"]
    form = {"csrf_token": csrf_token(page), **{"material": "pla", "process": "fdm", "unit": "mm"}}
    for name in ("idempotency_key", "key", "file_id", "filename", "file_note", "unit_question", "quantity",
                 "lead_time_days"):  # fmt: skip
        form[name] = re.findall(rf'name="{name}"[^>]*value="([^"]*)"', page)[0]
    placed = customer.post("/orders", data=form)
    assert placed.status_code == 303, placed.text
    [order] = [o for o in services.crm.orders.values() if o["lines"][0]["file_id"] == file_id]
    assert order["lines"][0]["filename"] == "bracket.stl"
    assert "bracket.stl" in customer.get(placed.headers["location"]).text


def test_the_file_service_is_asked_with_the_customers_own_token(
    customer: TestClient, other_customer: TestClient, services: FakeServices, tmp_path: Path
) -> None:
    file_id = upload(customer, cube_bytes(tmp_path), "alice-secret.stl")
    assert services.files.owners[file_id] == services.crm.accounts["alice@example.com"]["id"]

    # Bob pastes Alice's file id into the page without JavaScript: the File Service says 404 to Bob's token.
    page = other_customer.get("/orders/new", params={"file": file_id})
    assert "could not be found" in page.text and "alice-secret" not in page.text


def test_an_empty_file_is_refused_with_its_reason(customer: TestClient) -> None:
    body = post_file(customer, b"", "empty.stl", JSON).json()
    assert body["code"] == "empty-file" and "empty" in body["message"]


def test_a_file_over_the_limit_is_refused_before_it_reaches_the_store(
    customer: TestClient, services: FakeServices
) -> None:
    for size in (2**20 + 1, 3 * 2**20):  # caught once parsed, and already by the request's declared length
        response = post_file(customer, b"x" * size, "huge.stl", JSON)

        assert response.status_code == 413
        assert response.json()["tip"] == "Files up to 1 MB are accepted."
    assert services.files.puts == []


def test_an_unreachable_file_service_is_reported_as_such(
    customer: TestClient, services: FakeServices, tmp_path: Path
) -> None:
    services.down.add("files.test")

    response = post_file(customer, cube_bytes(tmp_path), "cube.stl", JSON)

    assert response.status_code == 503
    assert "file service can't be reached" in json.loads(response.text)["message"]


def test_choosing_no_file_asks_for_one(customer: TestClient) -> None:
    token = csrf_token(customer.get("/orders/new").text)
    response = customer.post("/upload", data={"csrf_token": token}, files={"file": ("", b"")}, headers=JSON)
    assert response.status_code == 400 and response.json()["message"].endswith("Choose a model file to upload.")
