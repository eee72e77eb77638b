"""Pricing -> File Service: `FilesClient.download_url`, a presigned URL for the bytes of an order's file; the
orientation search's checkpoints, read and kept."""

from __future__ import annotations

import json
import uuid

import pytest
from pact import match

from contracts.http import labels
from contracts.http.consumers import shapes as s
from contracts.http.consumers.contract import JSON, Contract
from system.pricing.adapters.files_client import FilesClient, NoCheckpoint
from system.pricing.ports import ModelNotFound

pytestmark = labels("pricing -> files")

SECRET = "any-secret: the pact carries the provider state's token, not this one"
CUSTOMER, ORDER = uuid.UUID(s.ACCOUNT_ID), uuid.UUID(s.ORDER_ID)


async def test_a_download_link(pricing_files: Contract) -> None:
    pact = pricing_files.pact()
    (
        pact.upon_receiving("a service request for a download link, acting for the order's customer")
        .given("a customer's stored model file, asked for by pricing acting for that customer")
        .with_request("GET", s.path("/files/{file_id}/download", file_id=s.FILE_ID))
        .with_header("Authorization", s.bearer())
        .will_respond_with(200)
        .with_body(
            {
                "file_id": s.uuid(s.FILE_ID),
                "url": match.regex("http://s3.example/models/abc?X-Amz-Signature=1", regex=r"^https?://\S+$"),
                "expires_in": match.int(900),
            },
            JSON,
        )
    )
    async with pricing_files.serve(pact) as http:
        client = FilesClient(str(http.base_url), http, SECRET)
        url = await client.download_url(uuid.UUID(s.FILE_ID), customer_id=CUSTOMER, order_id=ORDER)
    assert url.startswith("http://s3.example/")


async def test_no_such_file(pricing_files: Contract) -> None:
    pact = pricing_files.pact()
    (
        pact.upon_receiving("a service request for a download link of a file the customer has none of")
        .given("no such file for the customer, asked for by pricing acting for that customer")
        .with_request("GET", s.path("/files/{file_id}/download", file_id=s.FILE_ID))
        .with_header("Authorization", s.bearer())
        .will_respond_with(404)
    )
    async with pricing_files.serve(pact) as http:
        client = FilesClient(str(http.base_url), http, SECRET)
        with pytest.raises(ModelNotFound):
            await client.download_url(uuid.UUID(s.FILE_ID), customer_id=CUSTOMER, order_id=ORDER)


# The orientation search's checkpoints (system/pricing/checkpoints.py): a search digest, then the way up.
KEPT = f"{s.DIGEST}/upside-down"
NEVER_KEPT = f"{'0' * 64}/as-uploaded"
CHECKPOINT = {"orientation": "upside down", "estimate": [4242.0, 12.5, 1.5], "refused": ""}


async def test_a_kept_checkpoint(pricing_files: Contract) -> None:
    pact = pricing_files.pact()
    (
        pact.upon_receiving("a pricing worker reading a checkpoint the File Service keeps")
        .given("a pricing checkpoint kept by the File Service")
        .with_request("GET", f"/pricing-checkpoints/{KEPT}")
        .with_header("Authorization", s.bearer())
        .will_respond_with(200)
        .with_body(
            {
                "orientation": match.str("upside down"),
                "estimate": match.each_like(match.number(4242.0), min=3),
                "refused": match.str(""),
            },
            JSON,
        )
    )
    async with pricing_files.serve(pact) as http:
        found = await FilesClient(str(http.base_url), http, SECRET).checkpoint(KEPT)
    assert json.loads(found)["orientation"] == "upside down"


async def test_no_checkpoint(pricing_files: Contract) -> None:
    pact = pricing_files.pact()
    (
        pact.upon_receiving("a pricing worker reading a checkpoint nobody kept")
        .given("a pricing worker")
        .with_request("GET", f"/pricing-checkpoints/{NEVER_KEPT}")
        .with_header("Authorization", s.bearer())
        .will_respond_with(404)
    )
    async with pricing_files.serve(pact) as http:
        with pytest.raises(NoCheckpoint):
            await FilesClient(str(http.base_url), http, SECRET).checkpoint(NEVER_KEPT)


async def test_keeping_a_checkpoint(pricing_files: Contract) -> None:
    pact = pricing_files.pact()
    (
        pact.upon_receiving("a pricing worker keeping a checkpoint")
        .given("a pricing worker")
        .with_request("PUT", f"/pricing-checkpoints/{KEPT}")
        .with_header("Authorization", s.bearer())
        .with_body(json.dumps(CHECKPOINT), "application/json")
        .will_respond_with(204)
    )
    async with pricing_files.serve(pact) as http:
        await FilesClient(str(http.base_url), http, SECRET).keep_checkpoint(KEPT, json.dumps(CHECKPOINT).encode())
