"""The File Service's HTTP layer: its OpenAPI documents every status its routes answer with (found by the fuzz
suite), and no route answers without a valid token."""

from __future__ import annotations

import uuid
from dataclasses import fields

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from system.files.api import DOMAIN_ERRORS, MeshChecksOut, problem_for, router
from system.files.settings import FilesSettings
from system.kernel.auth import Principal, issue_service_token, issue_token
from system.kernel.errors import translate_errors
from system.kernel.http import create_service_app
from system.mesh import MeshChecks
from tests.unit.files.fakes import FakeRepository, FakeStore


def test_completing_an_upload_of_known_bytes_documents_its_200() -> None:
    app = create_service_app("unit-files-api")
    app.include_router(router)
    responses = app.openapi()["paths"]["/files/uploads/{upload_id}/complete"]["post"]["responses"]
    assert responses["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/FileOut"}
    assert responses["201"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/FileOut"}


SECRET = "unit-files-" + "x" * 32


def files_app() -> TestClient:
    """The File Service's routes over in-memory fakes, with the real token checks."""
    app = create_service_app("unit-files-auth")
    app.state.settings = FilesSettings(
        database_url="postgresql+asyncpg://unused/db", s3_access_key="k", s3_secret_key="s", auth_secret=SECRET
    )
    app.state.store, app.state.repo = FakeStore(), FakeRepository()
    app.include_router(router)
    translate_errors(app, problem_for, *DOMAIN_ERRORS)
    return TestClient(app)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_every_files_route_needs_a_valid_token() -> None:
    client = files_app()
    routes = [(m, r.path) for r in router.routes if isinstance(r, APIRoute) for m in r.methods]
    assert len(routes) == 4, routes
    wrong_audience = issue_service_token(SECRET, service="crm", audience="mes", acting_for=uuid.uuid4())
    for method, template in routes:
        path = template.format(upload_id=uuid.uuid4(), file_id=uuid.uuid4())
        for headers in ({}, bearer("garbage"), bearer(wrong_audience)):
            response = client.request(method, path, headers=headers, json={"filename": "a.stl", "size": 10})
            assert response.status_code == 401, (method, path, headers, response.text)
            assert response.headers["content-type"] == "application/problem+json"
    for ops in ("/healthz", "/metrics"):
        assert client.get(ops).status_code == 200, "health and metrics stay open"


def test_a_customer_and_a_service_acting_for_them_are_let_in() -> None:
    client = files_app()
    alice = uuid.uuid4()
    started = client.post(
        "/files/uploads",
        json={"filename": "a.stl", "size": 10},
        headers=bearer(issue_token(SECRET, Principal(alice, "customer"))),
    )
    assert started.status_code == 201, started.text
    service = bearer(issue_service_token(SECRET, service="crm", audience="files", acting_for=alice))
    assert client.get(f"/files/{uuid.uuid4()}", headers=service).status_code == 404
    nobody = bearer(issue_service_token(SECRET, service="crm", audience="files"))
    refused = client.post("/files/uploads", json={"filename": "a.stl", "size": 10}, headers=nobody)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"


def test_the_api_s_mesh_checks_are_the_mesh_s_checks_and_their_warnings() -> None:
    # The response model repeats MeshChecks' fields (a derived model would make them optional in the OpenAPI);
    # pydantic would silently drop a field added to MeshChecks and not here.
    assert set(MeshChecksOut.model_fields) == {f.name for f in fields(MeshChecks)} | {"warnings"}
