"""The File Service repository's contract, run on the in-memory fake and on PostgreSQL: the fake must not drift."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from system.files.adapters.repository import DuplicateContent, DuplicateFile
from system.files.domain import Content, ModelFile, Upload, object_key_for
from system.mesh import MeshChecks, MeshSummary

# The findings of the mesh checks must survive the round trip too.
SUMMARY = MeshSummary(
    "stl-binary", 24, 7936.0, 2800.0, (0.0, 0.0, 0.0), (20.0, 20.0, 20.0), True,
    shells=2, checks=MeshChecks(welded_vertices=5, flipped_faces=3, cavities=1, orientable=True),
)  # fmt: skip


def content() -> Content:
    sha = uuid.uuid4().hex * 2
    return Content(uuid.uuid4(), sha, 684, object_key_for(sha), SUMMARY)


def upload(age: timedelta = timedelta()) -> Upload:
    plan = Upload.plan(uuid.uuid4(), "part.stl", 684, threshold=8 << 20, part_size=8 << 20)
    return Upload(**{**plan.__dict__, "created_at": datetime.now(UTC) - age})


async def test_a_file_reads_back_with_its_content_and_owner(files_repo: Any) -> None:
    stored, owner = content(), uuid.uuid4()
    file = ModelFile(uuid.uuid4(), owner, "bracket.stl", stored)
    await files_repo.add_content(stored)
    await files_repo.add_file(file)
    found = await files_repo.get_file(file.id)
    assert found is not None and (found.owner, found.filename, found.sha256, found.summary) == (
        owner, "bracket.stl", stored.sha256, SUMMARY,
    )  # fmt: skip
    assert (await files_repo.find_file(owner, stored.id)).id == file.id
    assert await files_repo.find_file(uuid.uuid4(), stored.id) is None
    assert (await files_repo.find_content(stored.sha256)).id == stored.id


async def test_one_content_per_sha256_and_one_file_per_account_and_content(files_repo: Any) -> None:
    stored = content()
    await files_repo.add_content(stored)
    with pytest.raises(DuplicateContent):
        await files_repo.add_content(Content(uuid.uuid4(), stored.sha256, 684, stored.key, SUMMARY))
    owner = uuid.uuid4()
    await files_repo.add_file(ModelFile(uuid.uuid4(), owner, "a.stl", stored))
    with pytest.raises(DuplicateFile):
        await files_repo.add_file(ModelFile(uuid.uuid4(), owner, "b.stl", stored))
    await files_repo.add_file(ModelFile(uuid.uuid4(), uuid.uuid4(), "theirs.stl", stored))  # another account


async def test_uploads_are_kept_until_removed(files_repo: Any) -> None:
    started = upload()
    await files_repo.add_upload(started)
    assert await files_repo.get_upload(started.id) == started
    await files_repo.remove_upload(started.id)
    assert await files_repo.get_upload(started.id) is None


async def test_a_sweep_takes_the_oldest_stale_uploads_first_up_to_its_limit(files_repo: Any) -> None:
    fresh, old, older, oldest = (
        upload(),
        upload(timedelta(hours=2)),
        upload(timedelta(hours=3)),
        upload(timedelta(days=1)),
    )
    for u in (old, fresh, oldest, older):
        await files_repo.add_upload(u)
    cleaned: list[uuid.UUID] = []

    async def clean(u: Upload) -> None:
        cleaned.append(u.id)

    assert await files_repo.sweep_uploads(datetime.now(UTC) - timedelta(hours=1), 2, clean) == 2
    assert cleaned == [oldest.id, older.id]
    assert await files_repo.get_upload(old.id) is not None and await files_repo.get_upload(fresh.id) is not None


async def test_a_failed_clean_up_leaves_every_upload_of_that_sweep_in_place(files_repo: Any) -> None:
    first, second = upload(timedelta(days=2)), upload(timedelta(days=1))
    for u in (first, second):
        await files_repo.add_upload(u)

    async def clean(u: Upload) -> None:
        if u.id == second.id:
            raise ConnectionError("S3 is down")

    with pytest.raises(ConnectionError):
        await files_repo.sweep_uploads(datetime.now(UTC), 10, clean)
    assert await files_repo.get_upload(first.id) is not None and await files_repo.get_upload(second.id) is not None


async def test_concurrent_sweeps_never_clean_the_same_upload_twice(files_repo: Any) -> None:
    stale = [upload(timedelta(days=1, minutes=n)) for n in range(4)]
    for u in stale:
        await files_repo.add_upload(u)
    cleaned: list[uuid.UUID] = []
    both_inside = asyncio.Barrier(2)

    async def clean(u: Upload) -> None:
        cleaned.append(u.id)
        if len(cleaned) <= 2:
            await asyncio.wait_for(both_inside.wait(), timeout=10)  # both sweeps hold their rows at once

    cutoff = datetime.now(UTC)
    counts = await asyncio.gather(*(files_repo.sweep_uploads(cutoff, 1, clean) for _ in range(2)))
    assert counts == [1, 1] and len(cleaned) == len(set(cleaned)) == 2
