"""File Service use cases on in-memory fakes: planning, validation, de-duplication, and nothing left behind."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from system.files import service
from system.files.domain import NotFound, UploadIncomplete, UploadRejected, object_key_for
from system.files.settings import FilesSettings
from tests.fixtures import meshes
from tests.unit.files.fakes import FakeRepository, FakeStore

SETTINGS = FilesSettings(
    database_url="postgresql+asyncpg://unused/db",
    s3_access_key="k",
    s3_secret_key="s",
    max_upload_bytes=10_000,
    multipart_threshold=1_500,
    part_size=600,
)


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def repo() -> FakeRepository:
    return FakeRepository()


async def upload_bytes(data: bytes, store: FakeStore, repo: FakeRepository, name: str = "part.stl"):  # type: ignore[no-untyped-def]
    """Start an upload, PUT `data` as a client would, and complete it."""
    ticket = await service.start_upload(name, len(data), store=store, repo=repo, settings=SETTINGS)
    parts: list[tuple[int, str]] = []
    if ticket.upload.multipart_id is None:
        store.put(ticket.upload.key, data)
    else:
        for n in range(ticket.upload.part_count):
            chunk = data[n * SETTINGS.part_size : (n + 1) * SETTINGS.part_size]
            parts.append((n + 1, store.put_part(ticket.upload.multipart_id, n + 1, chunk)))
    return await service.complete_upload(ticket.upload.id, parts, store=store, repo=repo, settings=SETTINGS)


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
    ticket = await service.start_upload("cube.stl", len(data), store=store, repo=repo, settings=SETTINGS)
    assert (
        ticket.upload.part_count == -(-len(data) // SETTINGS.part_size) and len(ticket.urls) == ticket.upload.part_count
    )
    file, _ = await upload_bytes(data, store, repo)
    assert store.objects[file.key] == data and file.summary.format == "stl-ascii"


async def test_the_same_content_twice_is_stored_once(store, repo, tmp_path: Path) -> None:
    data = meshes.write_cube_binary(tmp_path / "cube.stl").read_bytes()
    first, _ = await upload_bytes(data, store, repo, "a.stl")
    second, deduplicated = await upload_bytes(data, store, repo, "b.stl")
    assert deduplicated and second.id == first.id
    assert len(repo.files) == 1 and [k for k in store.objects if k.startswith("models/")] == [first.key]


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
    assert store.objects == {} and repo.uploads == {} and repo.files == {}


async def test_a_declared_size_over_the_limit_is_refused_before_any_url_is_issued(store, repo) -> None:
    with pytest.raises(UploadRejected) as rejected:
        await service.start_upload("big.stl", SETTINGS.max_upload_bytes + 1, store=store, repo=repo, settings=SETTINGS)
    assert rejected.value.code == "too-large" and repo.uploads == {}


async def test_more_bytes_than_the_limit_are_rejected_even_if_the_client_lied_about_the_size(
    store, repo, tmp_path: Path
) -> None:
    ticket = await service.start_upload("liar.stl", 100, store=store, repo=repo, settings=SETTINGS)
    store.put(ticket.upload.key, b"\0" * (SETTINGS.max_upload_bytes + 1))
    with pytest.raises(UploadRejected) as rejected:
        await service.complete_upload(ticket.upload.id, [], store=store, repo=repo, settings=SETTINGS)
    assert rejected.value.code == "too-large" and store.objects == {} and repo.uploads == {}


async def test_completing_before_the_bytes_arrive_keeps_the_upload_open(store, repo, tmp_path: Path) -> None:
    data = meshes.write_cube_binary(tmp_path / "cube.stl").read_bytes()
    ticket = await service.start_upload("cube.stl", len(data), store=store, repo=repo, settings=SETTINGS)
    with pytest.raises(UploadIncomplete):
        await service.complete_upload(ticket.upload.id, [], store=store, repo=repo, settings=SETTINGS)
    store.put(ticket.upload.key, data)
    file, _ = await service.complete_upload(ticket.upload.id, [], store=store, repo=repo, settings=SETTINGS)
    assert file.sha256 in file.key


async def test_multipart_completion_needs_every_part(store, repo, tmp_path: Path) -> None:
    data = meshes.write_cube_ascii(tmp_path / "cube.stl").read_bytes()
    ticket = await service.start_upload("cube.stl", len(data), store=store, repo=repo, settings=SETTINGS)
    assert ticket.upload.multipart_id is not None
    etag = store.put_part(ticket.upload.multipart_id, 1, data[: SETTINGS.part_size])
    with pytest.raises(UploadIncomplete, match=r"parts 1\.\."):
        await service.complete_upload(ticket.upload.id, [(1, etag)], store=store, repo=repo, settings=SETTINGS)
    assert ticket.upload.id in repo.uploads


async def test_unknown_ids_are_not_found(store, repo) -> None:
    with pytest.raises(NotFound):
        await service.complete_upload(uuid.uuid4(), [], store=store, repo=repo, settings=SETTINGS)
    with pytest.raises(NotFound):
        await service.download_url(uuid.uuid4(), store=store, repo=repo, settings=SETTINGS)


async def test_a_download_url_points_at_the_stored_object(store, repo, tmp_path: Path) -> None:
    data = meshes.write_cube_binary(tmp_path / "cube.stl").read_bytes()
    stored, _ = await upload_bytes(data, store, repo, "bracket.stl")
    file, url = await service.download_url(stored.id, store=store, repo=repo, settings=SETTINGS)
    assert file == stored and stored.key in url and "bracket.stl" in url
