"""Pricing -> File Service: `FilesClient.download_url`, a presigned URL for the bytes of an order's file."""

from __future__ import annotations

import uuid

import pytest
from pact import match

from contracts.http import labels
from contracts.http.consumers import shapes as s
from contracts.http.consumers.contract import JSON, Contract
from system.pricing.adapters.files_client import FilesClient
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
