"""The File Service keeps the pricing workers' checkpoints: only a pricing worker's service token reads or writes
them, keys cannot name anything outside their prefix, and a checkpoint is small."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from system.files import checkpoints
from system.files.settings import FilesSettings
from system.kernel.auth import Principal, issue_service_token, issue_token
from system.kernel.http import create_service_app
from tests.unit.files.fakes import FakeStore

SECRET = "unit-checkpoints-" + "x" * 32
KEY = f"{'ab' * 32}/upside-down"
BODY = b'{"orientation": "upside down", "estimate": [60.0, 1.5, 0.0], "refused": ""}'


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def client(store: FakeStore) -> TestClient:
    app = create_service_app("unit-files-checkpoints")
    app.state.settings = FilesSettings(
        database_url="postgresql+asyncpg://unused/db", s3_access_key="k", s3_secret_key="s", auth_secret=SECRET
    )
    app.state.store = store
    app.include_router(checkpoints.router)
    return TestClient(app)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# Tokens are made when a test runs, never at import: a service token lives 60 s, and a whole suite can run
# for minutes between collecting this module and running it.
def worker() -> dict[str, str]:
    return bearer(issue_service_token(SECRET, service="pricing", audience="files"))


def test_a_pricing_worker_keeps_a_checkpoint_and_reads_it_back(client: TestClient, store: FakeStore) -> None:
    assert client.get(f"/pricing-checkpoints/{KEY}", headers=worker()).status_code == 404

    kept = client.put(f"/pricing-checkpoints/{KEY}", content=BODY, headers=worker())

    assert kept.status_code == 204, kept.text
    assert store.objects == {f"pricing-checkpoints/{KEY}": BODY}  # under the prefix, nowhere else
    read = client.get(f"/pricing-checkpoints/{KEY}", headers=worker())
    assert read.status_code == 200 and read.content == BODY
    assert read.headers["content-type"] == "application/json"


NOT_A_WORKER = {
    "a customer": lambda: bearer(issue_token(SECRET, Principal(uuid.uuid4(), "customer"))),
    "an operator": lambda: bearer(issue_token(SECRET, Principal(uuid.uuid4(), "operator"))),
    "the CRM": lambda: bearer(issue_service_token(SECRET, service="crm", audience="files", acting_for=uuid.uuid4())),
    "the Shop": lambda: bearer(issue_service_token(SECRET, service="shop", audience="files", acting_for=uuid.uuid4())),
}


@pytest.mark.parametrize("who", NOT_A_WORKER)
@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_without_the_pricing_workers_permission_no_one_reads_or_writes_checkpoints(
    client: TestClient, store: FakeStore, who: str, method: str
) -> None:
    store.objects[f"pricing-checkpoints/{KEY}"] = BODY

    answer = client.request(method, f"/pricing-checkpoints/{KEY}", content=b"{}", headers=NOT_A_WORKER[who]())

    assert answer.status_code == 403, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert store.objects == {f"pricing-checkpoints/{KEY}": BODY}  # nothing read out, nothing overwritten


REFUSED = {
    "no token": lambda: {},
    "garbage": lambda: bearer("garbage"),
    "a pricing token for another service": lambda: bearer(
        issue_service_token(SECRET, service="pricing", audience="mes")
    ),
    "an expired pricing token": lambda: bearer(
        issue_service_token(SECRET, service="pricing", audience="files", ttl_seconds=-60)
    ),
}


@pytest.mark.parametrize("method", ["GET", "PUT"])
@pytest.mark.parametrize("why", REFUSED)
def test_without_a_valid_token_the_answer_is_401(client: TestClient, method: str, why: str) -> None:
    answer = client.request(method, f"/pricing-checkpoints/{KEY}", content=BODY, headers=REFUSED[why]())
    assert answer.status_code == 401 and answer.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "key",
    ["..%2F..%2Fmodels/upside-down", f"{'ab' * 32}/..", f"{'AB' * 32}/upside-down", f"{'ab' * 31}/upside-down",
     f"{'ab' * 32}/upside down", f"{'ab' * 32}/x/y"],
)  # fmt: skip
def test_a_key_of_another_shape_is_refused_and_stores_nothing(client: TestClient, store: FakeStore, key: str) -> None:
    answer = client.put(f"/pricing-checkpoints/{key}", content=BODY, headers=worker())
    assert answer.status_code in (404, 422), answer.text  # 404: no route has that many segments
    assert store.objects == {}


def test_a_checkpoint_is_small_and_not_empty(client: TestClient, store: FakeStore) -> None:
    big = client.put(f"/pricing-checkpoints/{KEY}", content=b"x" * (checkpoints.MAX_BYTES + 1), headers=worker())
    empty = client.put(f"/pricing-checkpoints/{KEY}", content=b"", headers=worker())

    assert (big.status_code, big.json()["code"]) == (413, "too-large")
    assert (empty.status_code, empty.json()["code"]) == (422, "empty-body")
    assert store.objects == {}
