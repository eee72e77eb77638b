"""The CRM's File Service client: a service token acting for the account, and answers remembered per account."""

from __future__ import annotations

import uuid

import httpx
import pytest

from system.crm.adapters.files import FileServiceUnavailable, HttpFileCatalog
from system.kernel.auth import verify_service_token

SECRET = "unit-crm-files-" + "x" * 32
ALICE, BOB = uuid.uuid4(), uuid.uuid4()


class FilesByOwner:
    """A File Service in a dict that answers only for the owner (the rule the real one enforces)."""

    def __init__(self) -> None:
        self.owners: dict[uuid.UUID, uuid.UUID] = {}
        self.calls = 0
        self.status: int | None = None

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.status is not None:
            return httpx.Response(self.status)
        token = request.headers["authorization"].removeprefix("Bearer ")
        caller = verify_service_token(SECRET, token, audience="files")
        assert caller.service == "crm"
        file_id = uuid.UUID(request.url.path.rsplit("/", 1)[-1])
        if self.owners.get(file_id) != caller.acting_for:
            return httpx.Response(404, json={"code": "not-found"})
        return httpx.Response(200, json={"id": str(file_id), "filename": "part.stl", "sha256": "a" * 64})


@pytest.fixture
def files() -> FilesByOwner:
    return FilesByOwner()


def catalog(files: FilesByOwner) -> HttpFileCatalog:
    client = httpx.AsyncClient(base_url="http://files.test", transport=httpx.MockTransport(files.handle))
    return HttpFileCatalog(client, SECRET)


async def test_a_file_is_described_only_for_its_owner(files: FilesByOwner) -> None:
    file_id = uuid.uuid4()
    files.owners[file_id] = ALICE
    files_catalog = catalog(files)
    described = await files_catalog.describe(file_id, account_id=ALICE)
    assert described is not None and described.sha256 == "a" * 64
    assert await files_catalog.describe(file_id, account_id=BOB) is None


async def test_answers_are_remembered_per_account(files: FilesByOwner) -> None:
    file_id = uuid.uuid4()
    files.owners[file_id] = ALICE
    files_catalog = catalog(files)
    await files_catalog.describe(file_id, account_id=ALICE)
    await files_catalog.describe(file_id, account_id=ALICE)
    assert files.calls == 1, "Alice's file is asked about once"
    assert await files_catalog.describe(file_id, account_id=BOB) is None, "Alice's answer is not Bob's"
    assert files.calls == 2


async def test_an_outage_is_not_a_missing_file(files: FilesByOwner) -> None:
    files.status = 503
    with pytest.raises(FileServiceUnavailable):
        await catalog(files).describe(uuid.uuid4(), account_id=ALICE)
