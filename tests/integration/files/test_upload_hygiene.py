"""Upload hygiene on the real stack: Ceph RGW itself refuses a PUT of another length than the declared one (the
presigned URLs sign Content-Length), completion refuses a size other than the declared one, and abandoned
uploads are swept (temporary object deleted, multipart upload aborted, row removed)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from system.stack.services import service
from system.stack.stack import Stack
from tests.plugins.clients import wait_for

Headers = dict[str, str]
MB = 1024 * 1024
STALE = "now() - interval '2 days'"  # far beyond the presign TTL + grace


def start(files_api: httpx.Client, who: Headers, size: int) -> dict[str, Any]:
    response = files_api.post("/files/uploads", json={"filename": f"{uuid.uuid4().hex}.stl", "size": size}, headers=who)
    assert response.status_code == 201, response.text
    return dict(response.json())


def s3(stack: Stack) -> Any:
    return stack.s3.client()


def key(ticket: dict[str, Any]) -> str:
    return f"uploads/{ticket['upload_id']}"


def open_uploads(stack: Stack, *upload_ids: str) -> int:
    ids = ", ".join(f"'{i}'" for i in upload_ids)
    return int(stack.postgres.psql(f"SELECT count(*) FROM uploads WHERE id IN ({ids})", "files"))


def exists(stack: Stack, object_key: str) -> bool:
    try:
        s3(stack).head_object(Bucket=stack.settings.s3_bucket, Key=object_key)
    except ClientError:
        return False
    return True


@pytest.mark.parametrize("sent", [101, 99, 10 * MB], ids=["one byte more", "one byte less", "10 MB"])
def test_the_store_refuses_a_single_put_of_another_length(
    files_api: httpx.Client, stack: Stack, b2c: Headers, sent: int
) -> None:
    ticket = start(files_api, b2c, 100)
    assert "content-length" in ticket["url"].lower(), "the length is a signed header"
    refused = httpx.put(ticket["url"], content=b"x" * sent, timeout=60)
    assert refused.status_code == 403, refused.text
    assert not exists(stack, key(ticket)), "nothing of it was stored"


def test_the_store_refuses_a_part_of_another_length(files_api: httpx.Client, stack: Stack, b2c: Headers) -> None:
    ticket = start(files_api, b2c, 9 * MB)  # over the 8 MB threshold: two parts, 8 MB and 1 MB
    first, last = sorted(ticket["parts"], key=lambda p: p["part_number"])
    assert httpx.put(last["url"], content=b"x" * (1 * MB + 1), timeout=60).status_code == 403
    assert httpx.put(first["url"], content=b"x" * (8 * MB + 1), timeout=60).status_code == 403
    assert httpx.put(last["url"], content=b"x" * MB, timeout=60).status_code == 200, "the exact length goes in"


def test_a_size_other_than_the_declared_one_is_refused_at_completion_and_discarded(
    files_api: httpx.Client, stack: Stack, b2c: Headers
) -> None:
    ticket = start(files_api, b2c, 100)
    # Written with the stack's own S3 credentials: a store that did not check the signed length.
    s3(stack).put_object(Bucket=stack.settings.s3_bucket, Key=key(ticket), Body=b"solid x\nendsolid x\n" * 10)

    response = files_api.post(ticket["complete_url"], headers=b2c)

    assert response.status_code == 422 and response.json()["code"] == "size-mismatch", response.text
    assert "100" in response.json()["detail"]
    assert open_uploads(stack, ticket["upload_id"]) == 0 and not exists(stack, key(ticket)), "the upload is discarded"


def in_progress(stack: Stack, object_key: str) -> bool:
    """Whether a multipart upload to `object_key` is open in the store."""
    listed = s3(stack).list_multipart_uploads(Bucket=stack.settings.s3_bucket, Prefix=object_key)
    return any(u["Key"] == object_key for u in listed.get("Uploads", []))


def swept_total(stack: Stack) -> float:
    """files_uploads_swept_total summed over every File Service replica (each sweeps)."""
    spec, total = service("files"), 0.0
    replicas = next(s for s in stack.services if s.name == "files").replicas
    for r in range(len(replicas)):
        metrics = httpx.get(f"http://127.0.0.1:{spec.replica_port(stack.settings, r)}/metrics", timeout=10).text
        total += sum(
            float(line.split()[-1]) for line in metrics.splitlines() if line.startswith("files_uploads_swept_total")
        )
    return total


def test_the_sweeper_removes_abandoned_uploads_and_aborts_their_multipart_uploads(
    files_api: httpx.Client, stack: Stack, b2c: Headers
) -> None:
    single = start(files_api, b2c, 100)
    httpx.put(single["url"], content=b"x" * 100, timeout=30).raise_for_status()
    multi = start(files_api, b2c, 9 * MB)
    last = max(multi["parts"], key=lambda p: p["part_number"])
    httpx.put(last["url"], content=b"y" * MB, timeout=60).raise_for_status()
    assert in_progress(stack, key(multi)), "a multipart upload with a part in the store"
    fresh = start(files_api, b2c, 100)
    before = swept_total(stack)

    ids = (single["upload_id"], multi["upload_id"])
    stack.postgres.psql(f"UPDATE uploads SET created_at = {STALE} WHERE id IN ('{ids[0]}', '{ids[1]}')", "files")
    wait_for(lambda: open_uploads(stack, *ids) == 0, within=60, what="the sweeper to remove the stale uploads")

    assert not exists(stack, key(single)), "the temporary object is deleted"
    assert not in_progress(stack, key(multi)), "the multipart upload is aborted (its parts are freed)"
    assert open_uploads(stack, fresh["upload_id"]) == 1, "an upload still in its time is left alone"
    assert swept_total(stack) >= before + 2
    assert files_api.post(single["complete_url"], headers=b2c).status_code == 404
