"""The File Service client and the sha256-keyed model cache, against a fake File Service and object store.

The remote side is an httpx.MockTransport: real HTTP requests and responses, no network. Like the real File
Service it verifies the worker's service token and shows a file only to a token acting for its owner.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY

from system.kernel.auth import InvalidToken, verify_service_token
from system.kernel.messaging.catalogue import PricingCompleted
from system.mesh import InvalidModel
from system.pricing.adapters.files_client import FilesClient
from system.pricing.adapters.model_cache import ModelCache
from system.pricing.ports import ContentMismatch, FilesUnavailable, ModelNotFound
from system.pricing.service import price_line
from tests.fixtures import meshes
from tests.unit.pricing.fakes import CUSTOMER, engine, pricing_request

FILES = "http://files.test"
S3 = "http://s3.test"
SECRET = "unit-pricing-" + "x" * 32
ORDER = uuid.uuid4()
FOR = {"customer_id": CUSTOMER, "order_id": ORDER}  # the order's customer, as pricing.requested names them


@dataclass
class Remote:
    """The File Service's download endpoint and the bucket behind its presigned URLs."""

    objects: dict[uuid.UUID, bytes] = field(default_factory=dict)
    owners: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    callers: list[tuple[str, uuid.UUID | None, uuid.UUID | None]] = field(default_factory=list)
    files_status: int | None = None  # answer every File Service call with this status
    s3_status: int | None = None  # answer every object GET with this status
    unreachable: bool = False
    requests: list[str] = field(default_factory=list)

    def add(self, data: bytes, owner: uuid.UUID = CUSTOMER) -> tuple[uuid.UUID, str]:
        file_id = uuid.uuid4()
        self.objects[file_id] = data
        self.owners[file_id] = owner
        return file_id, hashlib.sha256(data).hexdigest()

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(f"{request.method} {request.url.host}{request.url.path}")
        if self.unreachable:
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.host == "files.test":
            file_id = uuid.UUID(request.url.path.split("/")[2])
            if self.files_status is not None:
                return httpx.Response(self.files_status, json={"title": "error"})
            try:
                token = request.headers.get("authorization", "").removeprefix("Bearer ")
                caller = verify_service_token(SECRET, token, audience="files")
            except InvalidToken:
                return httpx.Response(401, json={"type": "invalid-token", "status": 401})
            self.callers.append((caller.service, caller.acting_for, caller.order_id))
            if file_id not in self.objects or self.owners[file_id] != caller.acting_for:
                return httpx.Response(404, json={"type": "not-found", "status": 404})
            url = f"{S3}/models/{file_id}?X-Amz-Signature=abc"
            return httpx.Response(200, json={"file_id": str(file_id), "url": url, "expires_in": 900})
        file_id = uuid.UUID(request.url.path.split("/")[2])
        if self.s3_status is not None:
            return httpx.Response(self.s3_status, text="<Error/>")
        if file_id not in self.objects:
            return httpx.Response(404, text="<Error><Code>NoSuchKey</Code></Error>")
        return httpx.Response(200, content=self.objects[file_id])


@pytest.fixture
def remote() -> Remote:
    return Remote()


@pytest.fixture
async def cache(remote: Remote, tmp_path: Path) -> AsyncIterator[ModelCache]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(remote.handle)) as http:
        yield ModelCache(tmp_path / "cache", FilesClient(FILES, http, SECRET), max_bytes=10_000)


def lookups(result: str) -> float:
    return REGISTRY.get_sample_value("pricing_model_cache_total", {"result": result}) or 0.0


def leftovers(cache: ModelCache) -> list[Path]:
    return [p for p in cache.root.rglob("*") if p.is_file()]


async def test_a_miss_downloads_and_verifies_and_a_hit_reuses_the_file(cache: ModelCache, remote: Remote) -> None:
    file_id, sha = remote.add(b"solid cube\nendsolid cube\n")
    hits, misses = lookups("hit"), lookups("miss")
    path = await cache.fetch(file_id, sha, **FOR)
    assert path == cache.root / sha[:2] / sha and path.read_bytes() == b"solid cube\nendsolid cube\n"
    assert remote.requests == [f"GET files.test/files/{file_id}/download", f"GET s3.test/models/{file_id}"]
    assert remote.callers == [("pricing", CUSTOMER, ORDER)], "a service token acting for the order's customer"
    assert await cache.fetch(file_id, sha, **FOR) == path
    assert len(remote.requests) == 2, "a hit asks nobody"
    assert (lookups("hit") - hits, lookups("miss") - misses) == (1, 1)


async def test_the_same_content_under_another_file_id_is_a_hit(cache: ModelCache, remote: Remote) -> None:
    first, sha = remote.add(b"same bytes")
    second, _ = remote.add(b"same bytes")
    await cache.fetch(first, sha, **FOR)
    await cache.fetch(second, sha, **FOR)
    assert len(remote.requests) == 2


async def test_content_with_another_hash_is_rejected_and_not_cached(cache: ModelCache, remote: Remote) -> None:
    file_id, _ = remote.add(b"the real bytes")
    wrong = hashlib.sha256(b"what the order says").hexdigest()
    with pytest.raises(ContentMismatch, match=f"not the content the order line names \\(sha256 {wrong}\\)"):
        await cache.fetch(file_id, wrong, **FOR)
    assert leftovers(cache) == []
    with pytest.raises(ContentMismatch):
        await cache.fetch(file_id, wrong, **FOR)
    assert len(remote.requests) == 4, "a rejected download is not remembered as a hit"


async def test_a_model_over_the_limit_is_refused_while_streaming(cache: ModelCache, remote: Remote) -> None:
    file_id, sha = remote.add(b"x" * 10_001)
    with pytest.raises(InvalidModel) as caught:
        await cache.fetch(file_id, sha, **FOR)
    assert caught.value.code == "too-large"
    assert leftovers(cache) == []


async def test_an_unknown_file_is_not_found(cache: ModelCache) -> None:
    with pytest.raises(ModelNotFound, match="File not found"):
        await cache.fetch(uuid.uuid4(), "0" * 64, **FOR)


async def test_another_customers_file_is_not_found(cache: ModelCache, remote: Remote) -> None:
    file_id, sha = remote.add(b"someone else's bytes", owner=uuid.uuid4())
    with pytest.raises(ModelNotFound, match="File not found"):
        await cache.fetch(file_id, sha, **FOR)
    with pytest.raises(ModelNotFound):  # a request from before customer_id was carried acts for nobody
        await cache.fetch(file_id, sha, customer_id=None, order_id=ORDER)


async def test_an_object_missing_from_the_bucket_is_not_found(cache: ModelCache, remote: Remote) -> None:
    file_id, sha = remote.add(b"bytes")
    remote.s3_status = 404
    with pytest.raises(ModelNotFound):
        await cache.fetch(file_id, sha, **FOR)


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("files_status", 503, "File Service answered 503"),
        ("files_status", 500, "File Service answered 500"),
        ("s3_status", 500, "object store answered 500"),
        ("s3_status", 403, "object store answered 403"),
        ("unreachable", True, "File Service unreachable"),
    ],
)
async def test_outages_are_transient(
    cache: ModelCache, remote: Remote, setting: str, value: object, message: str
) -> None:
    file_id, sha = remote.add(b"bytes")
    setattr(remote, setting, value)
    with pytest.raises(FilesUnavailable, match=message):
        await cache.fetch(file_id, sha, **FOR)
    assert leftovers(cache) == []


async def test_a_garbled_download_answer_is_transient(tmp_path: Path) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=json.dumps({"url": 3}).encode()))
    async with httpx.AsyncClient(transport=transport) as http:
        with pytest.raises(FilesUnavailable, match="unexpected download answer"):
            await FilesClient(FILES, http, SECRET).download_url(uuid.uuid4(), **FOR)


def test_only_a_sha256_can_name_a_cached_file(cache: ModelCache) -> None:
    for bad in ["../../etc/passwd", "A" * 64, "0" * 63]:
        with pytest.raises(ValueError, match="not a sha256"):
            cache.path_for(bad)


async def test_a_cube_from_the_file_service_is_priced(cache: ModelCache, remote: Remote, tmp_path: Path) -> None:
    file_id, sha = remote.add(meshes.write_cube_binary(tmp_path / "cube.stl", 50.0).read_bytes())
    outcome = await price_line(pricing_request(file_id, sha), engine(cache.fetch, max_model_bytes=10_000))
    assert isinstance(outcome, PricingCompleted) and str(outcome.total_price) == "17.88", "see test_service"
