"""File Service use cases on in-memory fakes: planning, validation, de-duplication, ownership, upload hygiene,
and nothing left behind."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from system.files import service
from system.files.domain import Caller, Forbidden, NotFound, UploadIncomplete, UploadRejected, object_key_for
from system.files.settings import FilesSettings
from tests.fixtures import meshes
from tests.unit.files.fakes import FakeRepository, FakeStore, SizeRefused

SETTINGS = FilesSettings(
    database_url="postgresql+asyncpg://unused/db",
    s3_access_key="k",
    s3_secret_key="s",
    auth_secret="unit-" + "x" * 32,
    max_upload_bytes=10_000,
    multipart_threshold=1_500,
    part_size=600,
)
ALICE, BOB = Caller(uuid.uuid4()), Caller(uuid.uuid4())
OPERATOR = Caller(uuid.uuid4(), sees_all=True)


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def repo() -> FakeRepository:
    return FakeRepository()


async def upload_bytes(  # type: ignore[no-untyped-def]
    data: bytes, store: FakeStore, repo: FakeRepository, name: str = "part.stl", caller: Caller = ALICE
):
    """Start an upload, PUT `data` as a client would, and complete it."""
    ticket = await service.start_upload(caller, name, len(data), store=store, repo=repo, settings=SETTINGS)
    parts: list[tuple[int, str]] = []
    if ticket.upload.multipart_id is None:
        store.put(ticket.upload.key, data)
    else:
        for n in range(ticket.upload.part_count):
            chunk = data[n * SETTINGS.part_size : (n + 1) * SETTINGS.part_size]
            parts.append((n + 1, store.put_part(ticket.upload.multipart_id, n + 1, chunk)))
    return await service.complete_upload(caller, ticket.upload.id, parts, store=store, repo=repo, settings=SETTINGS)


async def test_a_valid_binary_stl_is_stored_under_its_content_hash(store, repo, tmp_path: Path) -> None:
    data = meshes.write_cube_binary(tmp_path / "cube.stl").read_bytes()
    file, deduplicated = await upload_bytes(data, store, repo)
    assert not deduplicated
    assert file.key == object_key_for(file.sha256) and store.objects[file.key] == data
    assert file.summary.triangle_count == 12 and file.summary.volume_mm3 == pytest.approx(1000.0)
    assert [k for k in store.objects if k.startswith("uploads/")] == [], "the temporary object is removed"
    assert repo.uploads == {}


async def test_a_large_file_goes_multipart_and_is_reassembled(store, repo, tmp_path: Path) -> None:
    data = meshes.write_cube_ascii(tmp_path / "cube.stl").read_bytes()
    assert len(data) > SETTINGS.multipart_threshold
    ticket = await service.start_upload(ALICE, "cube.stl", len(data), store=store, repo=repo, settings=SETTINGS)
    assert (
        ticket.upload.part_count == -(-len(data) // SETTINGS.part_size) and len(ticket.urls) == ticket.upload.part_count
    )
    file, _ = await upload_bytes(data, store, repo)
    assert store.objects[file.key] == data and file.summary.format == "stl-ascii"


async def test_the_same_content_twice_is_stored_once(store, repo, tmp_path: Path) -> None:
    data = meshes.write_cube_binary(tmp_path / "cube.stl").read_bytes()
    first, _ = await upload_bytes(data, store, repo, "a.stl")
    second, deduplicated = await upload_bytes(data, store, repo, "b.stl")
    assert deduplicated and second.id == first.id, "the same account gets its own earlier file back"
    assert len(repo.contents) == 1 and [k for k in store.objects if k.startswith("models/")] == [first.key]


BAD_FILES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "truncated": (meshes.write_truncated_binary, "truncated"),
    "count mismatch": (meshes.write_count_mismatch_binary, "triangle-count-mismatch"),
    "nan binary": (meshes.write_nan_binary, "non-finite-coordinates"),
    "nan ascii": (meshes.write_nan_ascii, "non-finite-coordinates"),
    "random bytes": (lambda p: meshes.write_random_bytes(p, 3_000, seed=7), "unrecognised-format"),
}


@pytest.mark.parametrize("case", BAD_FILES)
async def test_a_bad_file_is_rejected_with_its_code_and_leaves_nothing(store, repo, tmp_path: Path, case: str) -> None:
    write, code = BAD_FILES[case]
    data = write(tmp_path / "bad.stl").read_bytes()
    with pytest.raises(UploadRejected) as rejected:
        await upload_bytes(data, store, repo)
    assert rejected.value.code == code
    assert store.objects == {} and repo.uploads == {} and repo.files == {} and repo.contents == {}


async def test_a_declared_size_over_the_limit_is_refused_before_any_url_is_issued(store, repo) -> None:
    with pytest.raises(UploadRejected) as rejected:
        await service.start_upload(
            ALICE, "big.stl", SETTINGS.max_upload_bytes + 1, store=store, repo=repo, settings=SETTINGS
        )
    assert rejected.value.code == "too-large" and repo.uploads == {}


async def test_more_bytes_than_the_limit_are_rejected_even_if_the_client_lied_about_the_size(
    store, repo, tmp_path: Path
) -> None:
    ticket = await service.start_upload(ALICE, "liar.stl", 100, store=store, repo=repo, settings=SETTINGS)
    store.enforce_size = False  # a store that does not check the signed length
    store.put(ticket.upload.key, b"\0" * (SETTINGS.max_upload_bytes + 1))
    with pytest.raises(UploadRejected) as rejected:
        await service.complete_upload(ALICE, ticket.upload.id, [], store=store, repo=repo, settings=SETTINGS)
    assert rejected.value.code == "too-large" and store.objects == {} and repo.uploads == {}


async def test_completing_before_the_bytes_arrive_keeps_the_upload_open(store, repo, tmp_path: Path) -> None:
    data = meshes.write_cube_binary(tmp_path / "cube.stl").read_bytes()
    ticket = await service.start_upload(ALICE, "cube.stl", len(data), store=store, repo=repo, settings=SETTINGS)
    with pytest.raises(UploadIncomplete):
        await service.complete_upload(ALICE, ticket.upload.id, [], store=store, repo=repo, settings=SETTINGS)
    store.put(ticket.upload.key, data)
    file, _ = await service.complete_upload(ALICE, ticket.upload.id, [], store=store, repo=repo, settings=SETTINGS)
    assert file.sha256 in file.key


async def test_multipart_completion_needs_every_part(store, repo, tmp_path: Path) -> None:
    data = meshes.write_cube_ascii(tmp_path / "cube.stl").read_bytes()
    ticket = await service.start_upload(ALICE, "cube.stl", len(data), store=store, repo=repo, settings=SETTINGS)
    assert ticket.upload.multipart_id is not None
    etag = store.put_part(ticket.upload.multipart_id, 1, data[: SETTINGS.part_size])
    with pytest.raises(UploadIncomplete, match=r"parts 1\.\."):
        await service.complete_upload(ALICE, ticket.upload.id, [(1, etag)], store=store, repo=repo, settings=SETTINGS)
    assert ticket.upload.id in repo.uploads


async def test_unknown_ids_are_not_found(store, repo) -> None:
    with pytest.raises(NotFound):
        await service.complete_upload(ALICE, uuid.uuid4(), [], store=store, repo=repo, settings=SETTINGS)
    with pytest.raises(NotFound):
        await service.download_url(ALICE, uuid.uuid4(), store=store, repo=repo, settings=SETTINGS)


async def test_a_download_url_points_at_the_stored_object(store, repo, tmp_path: Path) -> None:
    data = meshes.write_cube_binary(tmp_path / "cube.stl").read_bytes()
    stored, _ = await upload_bytes(data, store, repo, "bracket.stl")
    file, url = await service.download_url(ALICE, stored.id, store=store, repo=repo, settings=SETTINGS)
    assert file == stored and stored.key in url and "bracket.stl" in url


# Ownership: visibility per account (a file per account and content), the bytes stored once.


async def test_the_same_bytes_from_two_accounts_are_two_files_over_one_content(store, repo, tmp_path: Path) -> None:
    data = meshes.write_cube_binary(tmp_path / "cube.stl").read_bytes()
    alices, _ = await upload_bytes(data, store, repo, "alice-bracket.stl", ALICE)
    bobs, deduplicated = await upload_bytes(data, store, repo, "bob-prototype.stl", BOB)
    assert not deduplicated, "nothing tells Bob that someone else uploaded these bytes"
    assert bobs.id != alices.id and bobs.filename == "bob-prototype.stl" and bobs.created_at > alices.created_at
    assert bobs.key == alices.key and len(repo.contents) == 1, "the bytes are stored once"
    assert (await service.get_file(BOB, bobs.id, repo=repo)).filename == "bob-prototype.stl"
    assert (await service.get_file(ALICE, alices.id, repo=repo)).filename == "alice-bracket.stl"


async def test_a_file_is_visible_to_its_owner_an_operator_and_a_service_acting_for_the_owner(
    store, repo, tmp_path: Path
) -> None:
    data = meshes.write_cube_binary(tmp_path / "cube.stl").read_bytes()
    file, _ = await upload_bytes(data, store, repo, "mine.stl", ALICE)
    for caller in (ALICE, OPERATOR, Caller(ALICE.account_id)):  # the last: a service token acting for Alice
        assert (await service.get_file(caller, file.id, repo=repo)).id == file.id
        _, url = await service.download_url(caller, file.id, store=store, repo=repo, settings=SETTINGS)
        assert file.key in url
    for stranger in (BOB, Caller(None), Caller(BOB.account_id)):  # Bob, a service for nobody, a service for Bob
        with pytest.raises(NotFound):
            await service.get_file(stranger, file.id, repo=repo)
        with pytest.raises(NotFound):
            await service.download_url(stranger, file.id, store=store, repo=repo, settings=SETTINGS)


async def test_a_download_url_carries_the_callers_own_file_name(store, repo, tmp_path: Path) -> None:
    data = meshes.write_cube_binary(tmp_path / "cube.stl").read_bytes()
    await upload_bytes(data, store, repo, "alice-secret-project.stl", ALICE)
    bobs, _ = await upload_bytes(data, store, repo, "bob.stl", BOB)
    _, url = await service.download_url(BOB, bobs.id, store=store, repo=repo, settings=SETTINGS)
    assert "bob.stl" in url and "alice" not in url


async def test_only_the_uploader_may_complete_an_upload(store, repo, tmp_path: Path) -> None:
    data = meshes.write_cube_binary(tmp_path / "cube.stl").read_bytes()
    ticket = await service.start_upload(ALICE, "cube.stl", len(data), store=store, repo=repo, settings=SETTINGS)
    assert ticket.upload.account_id == ALICE.account_id
    store.put(ticket.upload.key, data)
    for other in (BOB, OPERATOR):
        with pytest.raises(NotFound):
            await service.complete_upload(other, ticket.upload.id, [], store=store, repo=repo, settings=SETTINGS)
    assert ticket.upload.id in repo.uploads and ticket.upload.key in store.objects, "the upload is untouched"
    file, _ = await service.complete_upload(ALICE, ticket.upload.id, [], store=store, repo=repo, settings=SETTINGS)
    assert file.owner == ALICE.account_id


async def test_a_service_acting_for_nobody_cannot_upload(store, repo) -> None:
    with pytest.raises(Forbidden):
        await service.start_upload(Caller(None), "x.stl", 100, store=store, repo=repo, settings=SETTINGS)
    assert repo.uploads == {}


async def test_a_file_from_before_ownership_is_for_operators_only(store, repo, tmp_path: Path) -> None:
    data = meshes.write_cube_binary(tmp_path / "cube.stl").read_bytes()
    file, _ = await upload_bytes(data, store, repo, "old.stl", ALICE)
    legacy = repo.files[file.id] = replace(file, owner=None)  # what migration 0002 makes of an existing file
    assert (await service.get_file(OPERATOR, legacy.id, repo=repo)).filename == "old.stl"
    with pytest.raises(NotFound):
        await service.get_file(ALICE, legacy.id, repo=repo)


# Upload hygiene: the presigned URLs are bound to the declared size; completion checks it; stale uploads go.


async def test_a_single_put_is_signed_for_the_declared_size(store, repo) -> None:
    ticket = await service.start_upload(ALICE, "part.stl", 1_000, store=store, repo=repo, settings=SETTINGS)
    assert store.signed[(ticket.upload.key, 1)] == 1_000
    with pytest.raises(SizeRefused):
        store.put(ticket.upload.key, b"x" * 1_001)


async def test_each_part_is_signed_for_its_own_length(store, repo) -> None:
    size = 2 * SETTINGS.part_size + 523  # over the multipart threshold
    ticket = await service.start_upload(ALICE, "part.stl", size, store=store, repo=repo, settings=SETTINGS)
    assert ticket.upload.multipart_id is not None
    signed = [store.signed[(ticket.upload.multipart_id, n)] for n in (1, 2, 3)]
    assert signed == [SETTINGS.part_size, SETTINGS.part_size, 523]


async def test_a_size_other_than_the_declared_one_is_refused_at_completion_and_discarded(
    store, repo, tmp_path: Path
) -> None:
    data = meshes.write_cube_binary(tmp_path / "cube.stl").read_bytes()
    ticket = await service.start_upload(ALICE, "cube.stl", len(data) - 10, store=store, repo=repo, settings=SETTINGS)
    store.enforce_size = False  # a store that let the wrong length through
    store.put(ticket.upload.key, data)
    with pytest.raises(UploadRejected) as rejected:
        await service.complete_upload(ALICE, ticket.upload.id, [], store=store, repo=repo, settings=SETTINGS)
    assert rejected.value.code == "size-mismatch" and str(len(data) - 10) in rejected.value.detail
    assert store.objects == {} and repo.uploads == {} and repo.files == {}


async def test_the_sweeper_removes_stale_uploads_and_aborts_their_multipart_uploads(store, repo) -> None:
    single = await service.start_upload(ALICE, "a.stl", 100, store=store, repo=repo, settings=SETTINGS)
    store.put(single.upload.key, b"x" * 100)
    multi = await service.start_upload(ALICE, "b.stl", 2_000, store=store, repo=repo, settings=SETTINGS)
    assert multi.upload.multipart_id is not None
    store.put_part(multi.upload.multipart_id, 1, b"y" * SETTINGS.part_size)
    stale_at = single.upload.created_at + timedelta(
        seconds=SETTINGS.presign_ttl_seconds + SETTINGS.upload_grace_seconds
    )
    fresh = await service.start_upload(ALICE, "c.stl", 100, store=store, repo=repo, settings=SETTINGS)
    repo.uploads[fresh.upload.id] = replace(fresh.upload, created_at=stale_at)

    assert await service.sweep_stale_uploads(store=store, repo=repo, settings=SETTINGS, now=stale_at) == 0
    swept = await service.sweep_stale_uploads(
        store=store, repo=repo, settings=SETTINGS, now=stale_at + timedelta(seconds=1)
    )

    assert swept == 2 and list(repo.uploads) == [fresh.upload.id]
    assert single.upload.key not in store.objects and multi.upload.multipart_id not in store.multiparts


async def test_the_bucket_expires_abandoned_upload_objects_where_the_store_supports_it(store) -> None:
    await service.apply_lifecycle(store)
    assert store.lifecycle == [("uploads/", 1)]

    class Unsupported(FakeStore):
        async def expire(self, prefix: str, days: int) -> None:
            raise NotImplementedError("no lifecycle here")

    await service.apply_lifecycle(Unsupported())  # logged, not raised: the sweeper still cleans up
