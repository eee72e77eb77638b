"""Shop -> File Service: `FilesClient.get` (a file's metadata) and `FilesClient.upload` (start, complete).

Between the two upload calls the Shop PUTs the bytes to the presigned URL: that is the object store's contract,
not the File Service's, so here a stand-in object store (an httpx transport for `s3.example`) takes the PUT.
"""

from __future__ import annotations

import httpx
from pact import match

from contracts.http import labels
from contracts.http.consumers import bodies
from contracts.http.consumers import shapes as s
from contracts.http.consumers.contract import JSON, Contract
from system.shop.clients import FilesClient

pytestmark = labels("shop -> files")

UPLOAD_ID = "e5f6a7b8-c9d0-4e1f-8a2b-3c4d5e6f7a8b"
PRESIGNED = "http://s3.example/models/uploads/cube?X-Amz-Signature=0"
COMPLETE = f"/files/uploads/{UPLOAD_ID}/complete"
SIZE = 684  # a binary STL cube: 84 header bytes + 12 triangles x 50


class Bytes:
    """The browser's upload as the Shop reads it, in pieces."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def read(self, size: int = -1) -> bytes:
        """The next `size` bytes (all that are left if negative); empty at the end."""
        size = len(self.data) if size < 0 else size
        piece, self.data = self.data[:size], self.data[size:]
        return piece


async def test_one_of_the_customers_files(shop_files: Contract) -> None:
    pact = shop_files.pact()
    (
        pact.upon_receiving("a request for one of the customer's files")
        .given("a customer signed in with a stored model file")
        .with_request("GET", s.path("/files/{file_id}", file_id=s.FILE_ID))
        .with_header("Authorization", s.bearer())
        .will_respond_with(200)
        .with_body(bodies.model_file(), JSON)
    )
    async with shop_files.serve(pact) as http:
        found = await FilesClient(http, upload_timeout=10).get(s.TOKEN, s.FILE_ID)
    assert found.dimensions_mm == (10.0, 10.0, 10.0)


async def test_an_upload(shop_files: Contract) -> None:
    pact = shop_files.pact()
    ticket = {
        "upload_id": s.uuid(UPLOAD_ID),
        "url": match.regex(PRESIGNED, regex=r"^https?://\S+$"),
        "parts": [],  # one PUT for a small file
        "part_size": match.int(8 * 1024 * 1024),
        "complete_url": match.regex(COMPLETE, regex=f"^/files/uploads/{s.UUID}/complete$"),
    }
    (
        pact.upon_receiving("the start of a small upload")
        .given("a customer signed in")
        .with_request("POST", "/files/uploads")
        .with_header("Authorization", s.bearer())
        .with_body({"filename": "cube.stl", "size": SIZE}, JSON)
        .will_respond_with(201)
        .with_body(ticket, JSON)
    )
    (
        pact.upon_receiving("the completion of an upload whose bytes are stored")
        .given("a customer signed in who has put the bytes of a started upload")
        .with_request("POST", s.path("/files/uploads/{upload_id}/complete", upload_id=UPLOAD_ID))
        .with_header("Authorization", s.bearer())
        .with_body({"parts": []}, JSON)
        .will_respond_with(201)
        .with_body(bodies.model_file(), JSON)
    )
    put: list[httpx.Request] = []

    def object_store(request: httpx.Request) -> httpx.Response:
        put.append(request)
        return httpx.Response(200, headers={"ETag": '"etag"'})

    async with shop_files.serve(pact, mounts={"http://s3.example": httpx.MockTransport(object_store)}) as http:
        stored = await FilesClient(http, upload_timeout=10).upload(s.TOKEN, "cube.stl", SIZE, Bytes(b"\0" * SIZE))
    assert [(r.method, str(r.url), r.headers["Content-Length"], len(r.content)) for r in put] == [
        ("PUT", PRESIGNED, str(SIZE), SIZE)
    ]
    assert stored.id == s.FILE_ID
