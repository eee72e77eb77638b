"""CRM -> File Service: `HttpFileCatalog.describe`, a file as the account placing an order may use it."""

from __future__ import annotations

import uuid

from pact import match

from contracts.http import labels
from contracts.http.consumers import shapes as s
from contracts.http.consumers.contract import JSON, Contract
from system.crm.adapters.files import HttpFileCatalog

pytestmark = labels("crm -> files")

SECRET = "any-secret: the pact carries the provider state's token, not this one"


async def test_a_file_the_account_may_use(crm_files: Contract) -> None:
    pact = crm_files.pact()
    (
        pact.upon_receiving("a service request for a file, acting for the account that owns it")
        .given("a customer's stored model file, asked for by the CRM acting for that customer")
        .with_request("GET", s.path("/files/{file_id}", file_id=s.FILE_ID))
        .with_header("Authorization", s.bearer())
        .will_respond_with(200)
        .with_body({"filename": match.str("cube.stl"), "sha256": s.sha256()}, JSON)
    )
    async with crm_files.serve(pact) as http:
        info = await HttpFileCatalog(http, SECRET).describe(uuid.UUID(s.FILE_ID), account_id=uuid.UUID(s.ACCOUNT_ID))
    assert info is not None
    assert info.sha256 == s.DIGEST


async def test_a_file_the_account_may_not_use(crm_files: Contract) -> None:
    pact = crm_files.pact()
    (
        pact.upon_receiving("a service request for a file the account has none of")
        .given("no such file for the customer, asked for by the CRM acting for that customer")
        .with_request("GET", s.path("/files/{file_id}", file_id=s.FILE_ID))
        .with_header("Authorization", s.bearer())
        .will_respond_with(404)
    )
    async with crm_files.serve(pact) as http:
        info = await HttpFileCatalog(http, SECRET).describe(uuid.UUID(s.FILE_ID), account_id=uuid.UUID(s.ACCOUNT_ID))
    assert info is None


async def test_liveness(crm_files: Contract) -> None:
    pact = crm_files.pact()
    (
        pact.upon_receiving("the CRM's readiness check of the File Service")
        .with_request("GET", "/healthz")
        .will_respond_with(200)
    )
    async with crm_files.serve(pact) as http:
        await HttpFileCatalog(http, SECRET).ping()
