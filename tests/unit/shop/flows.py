"""What a customer does in the browser, as requests: upload a model, place an order."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from fastapi.testclient import TestClient

from tests.fixtures import meshes
from tests.unit.shop.html import csrf_token

JSON = {"Accept": "application/json"}
_edges = itertools.count(20)


def cube_bytes(tmp_path: Path) -> bytes:
    """A cube STL with an edge no earlier call used: other bytes each time, as two different models are
    (the File Service answers the same account's same bytes with the file it already has)."""
    return meshes.write_cube_binary(tmp_path / "cube.stl", float(next(_edges))).read_bytes()


def upload(client: TestClient, data: bytes, name: str = "cube.stl") -> str:
    """Upload through the drop zone's script path; the new file's id."""
    token = csrf_token(client.get("/orders/new").text)
    response = client.post("/upload", data={"csrf_token": token}, files={"file": (name, data)}, headers=JSON)
    assert response.status_code == 201, response.text
    return str(response.json()["file"]["id"])


def order_form(client: TestClient, file_ids: list[str], **options: str) -> dict[str, list[str]]:
    """The new-order form as the browser would submit it for `file_ids`, with `options` on every line."""
    page = client.get("/orders/new", params=[("file", i) for i in file_ids]).text
    form: dict[str, list[str]] = {"csrf_token": [csrf_token(page)]}
    form["idempotency_key"] = re.findall(r'name="idempotency_key" value="([^"]+)"', page)
    for name in ("key", "file_id", "filename", "file_note", "unit_question"):
        form[name] = re.findall(rf'name="{name}" value="([^"]*)"', page)
    defaults = (("material", "pla"), ("process", "fdm"), ("quantity", "3"), ("lead_time_days", "7"), ("unit", "mm"))
    for name, default in defaults:
        form[name] = [options.get(name, default)] * len(file_ids)
    return form


def place(client: TestClient, file_ids: list[str], **options: str) -> str:
    """Place an order for `file_ids`; its id."""
    response = client.post("/orders", data=order_form(client, file_ids, **options))
    assert response.status_code == 303, response.text
    return str(response.headers["location"]).rsplit("/", 1)[-1]
