"""Shop -> File Service: `FilesClient.get`, the metadata of one of the customer's files.

The upload (`FilesClient.upload`) is not in this pact: its middle step PUTs the bytes to the object store's
presigned URL, which is S3's contract, not the File Service's; tests/integration and e2e cover it end to end.
"""

from __future__ import annotations

from contracts.http import labels
from contracts.http.consumers import bodies
from contracts.http.consumers import shapes as s
from contracts.http.consumers.contract import JSON, Contract
from system.shop.clients import FilesClient

pytestmark = labels("shop -> files")


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
