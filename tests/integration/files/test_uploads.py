"""File Service on the real stack: presigned uploads to Ceph RGW, validation, de-duplication, clean rejections.

Every call is made as the B2C demo customer (`b2c`); who may see what is in test_ownership.py.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from system.files.domain import object_key_for
from system.stack.stack import Stack
from tests.fixtures import meshes
from tests.plugins import clients


@pytest.fixture
def api(files_api: httpx.Client, b2c: dict[str, str]) -> Iterator[httpx.Client]:
    """The File Service as the B2C demo customer."""
    with httpx.Client(base_url=files_api.base_url, headers=b2c, timeout=30) as client:
        yield client


def object_keys(stack: Stack, prefix: str) -> list[str]:
    """Every key under `prefix` (all pages: a stack that has run the load and chaos suites holds thousands)."""
    pages = stack.s3.client().get_paginator("list_objects_v2").paginate(Bucket=stack.settings.s3_bucket, Prefix=prefix)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def rows(stack: Stack, sql: str) -> int:
    return int(stack.postgres.psql(sql, database="files"))


def upload(api: httpx.Client, data: bytes, name: str = "part.stl", declared: int | None = None) -> httpx.Response:
    """Upload as the client's account (its headers carry the token)."""
    return clients.upload(api, data, name, declared, who=dict(api.headers))


def test_a_binary_stl_is_validated_measured_and_downloadable(api: httpx.Client, stack: Stack, tmp_path: Path) -> None:
    data = meshes.write_binary_stl(tmp_path / "cube.stl", meshes.cube_triangles(20.0 + np.random.rand())).read_bytes()
    response = upload(api, data, "bracket.stl")
    assert response.status_code == 201, response.text
    file = response.json()
    assert file["sha256"] == hashlib.sha256(data).hexdigest() and file["format"] == "stl-binary"
    assert file["triangle_count"] == 12 and file["watertight"] is True
    assert api.get(f"/files/{file['id']}").json()["sha256"] == file["sha256"]
    download = api.get(f"/files/{file['id']}/download").json()
    assert httpx.get(download["url"], timeout=30).content == data
    assert object_keys(stack, object_key_for(file["sha256"])) == [object_key_for(file["sha256"])]


def test_an_ascii_stl_is_accepted(api: httpx.Client, tmp_path: Path) -> None:
    data = meshes.write_ascii_stl(tmp_path / "c.stl", meshes.cube_triangles(30.0 + np.random.rand())).read_bytes()
    response = upload(api, data, "cube-ascii.stl")
    assert response.status_code == 201, response.text
    assert response.json()["format"] == "stl-ascii" and response.json()["volume_mm3"] > 27_000


def test_a_large_file_is_uploaded_in_parts(api: httpx.Client, tmp_path: Path) -> None:
    path = meshes.write_sphere_binary(tmp_path / "sphere.stl", subdivisions=7, radius=40.0 + np.random.rand())
    data = path.read_bytes()
    started = api.post("/files/uploads", json={"filename": "sphere.stl", "size": len(data)}).json()
    assert started["url"] is None and len(started["parts"]) >= 2, "a file this size must go multipart"
    response = upload(api, data, "sphere.stl")
    assert response.status_code == 201, response.text
    assert response.json()["sha256"] == hashlib.sha256(data).hexdigest()
    assert response.json()["triangle_count"] == 20 * 4**7


def test_the_same_content_from_the_same_account_is_stored_once(api: httpx.Client, stack: Stack, tmp_path: Path) -> None:
    data = meshes.write_binary_stl(tmp_path / "c.stl", meshes.cube_triangles(5.0 + np.random.rand())).read_bytes()
    first, second = upload(api, data, "a.stl"), upload(api, data, "b.stl")
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["deduplicated"] and second.json()["id"] == first.json()["id"]
    assert rows(stack, f"SELECT count(*) FROM contents WHERE sha256 = '{first.json()['sha256']}'") == 1
    assert rows(stack, f"SELECT count(*) FROM grants WHERE id = '{first.json()['id']}'") == 1


BAD: dict[str, tuple[Callable[[Path], Path], str]] = {
    "no triangles": (lambda p: meshes.write_binary_stl(p, np.zeros((0, 3, 3))), "no-triangles"),
    "truncated": (meshes.write_truncated_binary, "truncated"),
    "count mismatch": (meshes.write_count_mismatch_binary, "triangle-count-mismatch"),
    "nan binary": (meshes.write_nan_binary, "non-finite-coordinates"),
    "nan ascii": (meshes.write_nan_ascii, "non-finite-coordinates"),
    "random bytes": (
        lambda p: meshes.write_random_bytes(p, 5_000, seed=int.from_bytes(uuid.uuid4().bytes[:4])),
        "unrecognised-format",
    ),
}


def assert_nothing_left(stack: Stack, data: bytes, name: str) -> None:
    sha = hashlib.sha256(data).hexdigest()
    assert rows(stack, f"SELECT count(*) FROM contents WHERE sha256 = '{sha}'") == 0, "no metadata row"
    assert rows(stack, f"SELECT count(*) FROM uploads WHERE filename = '{name}'") == 0, "no upload left open"
    assert object_keys(stack, object_key_for(sha)) == [], "no stored object"


@pytest.mark.parametrize("case", BAD)
def test_a_bad_file_gets_a_4xx_naming_the_problem_and_leaves_nothing(
    api: httpx.Client, stack: Stack, tmp_path: Path, case: str
) -> None:
    write, code = BAD[case]
    data = write(tmp_path / "bad.stl").read_bytes()
    before = set(object_keys(stack, "uploads/"))
    name = f"bad-{uuid.uuid4().hex[:8]}.stl"
    response = upload(api, data, name)
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["code"] == code and problem["detail"], problem
    assert_nothing_left(stack, data, name)
    assert set(object_keys(stack, "uploads/")) <= before, "the uploaded bytes are deleted"


def test_a_zero_byte_file_is_refused_up_front_and_by_the_store_after_a_lying_declaration(
    api: httpx.Client, stack: Stack
) -> None:
    refused = api.post("/files/uploads", json={"filename": "empty.stl", "size": 0})
    assert refused.status_code == 422 and refused.json()["code"] == "empty-file"
    ticket = api.post("/files/uploads", json={"filename": "empty.stl", "size": 100}).json()
    assert httpx.put(ticket["url"], content=b"", timeout=30).status_code == 403, "signed for 100 bytes, not 0"
    assert api.post(ticket["complete_url"]).json()["code"] == "upload-incomplete"


def test_a_file_over_the_size_limit_is_refused_before_any_byte_is_sent(api: httpx.Client) -> None:
    response = api.post("/files/uploads", json={"filename": "huge.stl", "size": 10 * 1024**3})
    assert response.status_code == 413 and response.json()["code"] == "too-large"
    assert "limit" in response.json()["detail"]


def test_completing_before_uploading_is_a_conflict_and_the_upload_stays_usable(
    api: httpx.Client, tmp_path: Path
) -> None:
    data = meshes.write_binary_stl(tmp_path / "c.stl", meshes.cube_triangles(7.0 + np.random.rand())).read_bytes()
    ticket = api.post("/files/uploads", json={"filename": "late.stl", "size": len(data)}).json()
    early = api.post(ticket["complete_url"])
    assert early.status_code == 409 and early.json()["code"] == "upload-incomplete"
    httpx.put(ticket["url"], content=data, timeout=30).raise_for_status()
    assert api.post(ticket["complete_url"]).status_code == 201


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", f"/files/{uuid.uuid4()}", None),
        ("GET", "/files/not-a-uuid", None),
        ("POST", f"/files/uploads/{uuid.uuid4()}/complete", None),
        ("POST", "/files/uploads", {"filename": "../etc/passwd", "size": 10}),
        ("POST", "/files/uploads", {"filename": "a.stl", "size": -1}),
    ],
)
def test_bad_requests_get_problem_json(api: httpx.Client, method: str, path: str, body: Any) -> None:
    response = api.request(method, path, json=body)
    assert response.status_code in (404, 422), response.text
    assert response.headers["content-type"] == "application/problem+json" and response.json()["detail"]


def test_the_service_publishes_its_openapi_health_and_metrics_without_a_token(files_api: httpx.Client) -> None:
    assert "/files/uploads" in files_api.get("/openapi.json").json()["paths"]
    assert files_api.get("/healthz").status_code == 200 and files_api.get("/readyz").status_code == 200
    metrics = files_api.get("/metrics").text
    assert "files_uploads_completed_total" in metrics and "files_uploads_swept_total" in metrics
