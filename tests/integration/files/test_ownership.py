"""Who may use a file, on the real stack: a bearer token on every non-ops endpoint, each account sees only its
own files (another account's is 404, never 403), operators see all, a service sees what it acts for, and no
answer reveals that another account uploaded the same bytes."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from system.kernel.auth import Principal, issue_service_token, issue_token
from system.stack.stack import Stack
from tests.fixtures import meshes
from tests.plugins.clients import upload

Headers = dict[str, str]
OPS = {"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


def cube(tmp_path: Path) -> bytes:
    """A cube no other test uploads (a random edge), so each test starts from bytes nobody has."""
    edge = 10.0 + np.random.rand() * 10
    return meshes.write_binary_stl(tmp_path / f"{uuid.uuid4().hex}.stl", meshes.cube_triangles(edge)).read_bytes()


def stored(files_api: httpx.Client, data: bytes, name: str, who: Headers) -> dict[str, Any]:
    response = upload(files_api, data, name, who=who)
    assert response.status_code == 201, response.text
    return dict(response.json())


def account_id(crm_api: httpx.Client, who: Headers) -> uuid.UUID:
    return uuid.UUID(crm_api.get("/me", headers=who).json()["id"])


def test_every_endpoint_but_health_and_metrics_needs_a_valid_token(files_api: httpx.Client, stack: Stack) -> None:
    secret = stack.settings.auth_secret
    someone = Principal(uuid.uuid4(), "customer")
    refused = {
        "none": {},
        "garbage": bearer("not-a-token"),
        "wrong secret": bearer(issue_token("another-secret-" + "x" * 32, someone)),
        "expired": bearer(issue_token(secret, someone, ttl_seconds=-60)),
        "for another service": bearer(issue_service_token(secret, service="crm", audience="mes")),
    }
    paths: dict[str, Any] = files_api.get("/openapi.json").json()["paths"]
    calls = [(m.upper(), p) for p, ops in paths.items() if p not in OPS for m in ops]
    assert {p for _, p in calls} == {
        "/files/uploads",
        "/files/uploads/{upload_id}/complete",
        "/files/{file_id}",
        "/files/{file_id}/download",
        "/pricing-checkpoints/{search}/{orientation}",
    }
    for method, template in calls:
        ids = {"upload_id": uuid.uuid4(), "file_id": uuid.uuid4(), "search": "ab" * 32, "orientation": "as-uploaded"}
        path = template.format(**ids)
        for why, headers in refused.items():
            response = files_api.request(method, path, headers=headers, json={"filename": "a.stl", "size": 100})
            assert response.status_code == 401, (method, path, why, response.text)
            assert response.headers["content-type"] == "application/problem+json" and response.json()["detail"]
    for ops in ("/healthz", "/readyz", "/metrics"):
        assert files_api.get(ops).status_code == 200


def test_another_customers_file_is_not_found_and_an_operator_sees_it(
    files_api: httpx.Client, b2c: Headers, b2b: Headers, operator: Headers, tmp_path: Path
) -> None:
    mine = stored(files_api, cube(tmp_path), "b2c-bracket.stl", b2c)
    for path in (f"/files/{mine['id']}", f"/files/{mine['id']}/download"):
        assert files_api.get(path, headers=b2c).status_code == 200
        theirs = files_api.get(path, headers=b2b)
        assert theirs.status_code == 404 and "b2c-bracket" not in theirs.text
        missing = files_api.get(path.replace(mine["id"], str(uuid.uuid4())), headers=b2b)
        assert theirs.json()["title"] == missing.json()["title"], "someone else's file looks like no file"
        assert files_api.get(path, headers=operator).status_code == 200
    download = files_api.get(f"/files/{mine['id']}/download", headers=operator).json()
    assert httpx.get(download["url"], timeout=30).status_code == 200


def test_the_same_bytes_from_two_accounts_are_two_private_files(
    files_api: httpx.Client, stack: Stack, b2c: Headers, b2b: Headers, tmp_path: Path
) -> None:
    data = cube(tmp_path)
    first = upload(files_api, data, "consumer-prototype.stl", who=b2c)
    second = upload(files_api, data, "acme-bracket.stl", who=b2b)

    assert (first.status_code, second.status_code) == (201, 201), "nothing tells B2B these bytes were known"
    b2c_file, b2b_file = first.json(), second.json()
    assert not b2b_file["deduplicated"] and b2b_file["id"] != b2c_file["id"]
    assert b2b_file["filename"] == "acme-bracket.stl" and b2b_file["created_at"] != b2c_file["created_at"]
    assert "consumer-prototype" not in second.text
    assert files_api.get(f"/files/{b2b_file['id']}", headers=b2b).json()["filename"] == "acme-bracket.stl"
    assert files_api.get(f"/files/{b2c_file['id']}", headers=b2c).json()["filename"] == "consumer-prototype.stl"
    assert files_api.get(f"/files/{b2c_file['id']}", headers=b2b).status_code == 404
    download = files_api.get(f"/files/{b2b_file['id']}/download", headers=b2b).json()["url"]
    assert "acme-bracket.stl" in download and "consumer-prototype" not in download
    sha = b2c_file["sha256"]
    assert stack.postgres.psql(f"SELECT count(*) FROM contents WHERE sha256 = '{sha}'", "files") == "1"

    again = upload(files_api, data, "acme-bracket-v2.stl", who=b2b)
    assert again.status_code == 200 and again.json()["deduplicated"] and again.json()["id"] == b2b_file["id"]


def test_only_the_uploader_completes_an_upload(
    files_api: httpx.Client, b2c: Headers, b2b: Headers, operator: Headers, tmp_path: Path
) -> None:
    data = cube(tmp_path)
    ticket = files_api.post("/files/uploads", json={"filename": "mine.stl", "size": len(data)}, headers=b2c).json()
    httpx.put(ticket["url"], content=data, timeout=30).raise_for_status()
    for other in (b2b, operator):
        assert files_api.post(ticket["complete_url"], headers=other).status_code == 404
    assert files_api.post(ticket["complete_url"], headers=b2c).status_code == 201


@pytest.mark.parametrize("acting", ["owner", "another account", "nobody"])
def test_a_service_token_sees_the_files_of_the_account_it_acts_for(
    files_api: httpx.Client,
    crm_api: httpx.Client,
    stack: Stack,
    b2c: Headers,
    b2b: Headers,
    tmp_path: Path,
    acting: str,
) -> None:
    file = stored(files_api, cube(tmp_path), "part.stl", b2c)
    acting_for = {"owner": account_id(crm_api, b2c), "another account": account_id(crm_api, b2b), "nobody": None}
    token = issue_service_token(
        stack.settings.auth_secret, service="pricing", audience="files", acting_for=acting_for[acting]
    )
    response = files_api.get(f"/files/{file['id']}/download", headers=bearer(token))
    assert response.status_code == (200 if acting == "owner" else 404), response.text


def test_without_the_pricing_workers_permission_no_one_reads_or_keeps_checkpoints(
    files_api: httpx.Client, stack: Stack, b2c: Headers, operator: Headers
) -> None:
    secret = stack.settings.auth_secret
    path = f"/pricing-checkpoints/{uuid.uuid4().hex * 2}/as-uploaded"
    body = b'{"orientation": "as uploaded", "estimate": [60.0, 1.5, 0.0], "refused": ""}'
    worker = bearer(issue_service_token(secret, service="pricing", audience="files"))
    crm = bearer(issue_service_token(secret, service="crm", audience="files", acting_for=uuid.uuid4()))
    for who in (b2c, operator, crm):
        for method in ("GET", "PUT"):
            refused = files_api.request(method, path, headers={**who, "Content-Type": "application/json"}, content=body)
            assert refused.status_code == 403 and refused.json()["code"] == "forbidden", refused.text
    assert files_api.get(path, headers=worker).status_code == 404  # nobody's refused PUT stored anything

    assert files_api.put(path, headers=worker, content=body).status_code == 204
    kept = files_api.get(path, headers=worker)
    assert kept.status_code == 200 and kept.content == body
    key = f"pricing-checkpoints/{path.removeprefix('/pricing-checkpoints/')}"
    assert stack.s3.client().get_object(Bucket=stack.settings.s3_bucket, Key=key)["Body"].read() == body
