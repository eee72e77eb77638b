"""File Service use cases: hand out presigned uploads, validate completed ones, serve downloads, sweep stale uploads.

Every use case takes the Caller: an account sees its own files only (operators see all), and anything else
is NotFound, so no answer tells one account what another uploaded.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from opentelemetry import trace
from prometheus_client import Counter

from system.files.adapters.repository import DuplicateContent, DuplicateFile, FileRepository
from system.files.adapters.storage import ObjectStore
from system.files.domain import (
    UPLOADS_PREFIX,
    Caller,
    Content,
    Forbidden,
    ModelFile,
    NotFound,
    Upload,
    UploadIncomplete,
    UploadRejected,
    object_key_for,
)
from system.files.settings import FilesSettings
from system.kernel.s3 import ObjectMissing
from system.mesh import InvalidModel, MeshSummary, validate_model

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)
UPLOADS = Counter("files_uploads_completed_total", "Completed uploads by outcome", ["outcome", "code"])
SWEPT = Counter("files_uploads_swept_total", "Abandoned uploads removed by the sweeper (objects and multipart)")
LIFECYCLE_DAYS = 1  # the store's own backstop, far beyond the sweeper's TTL + grace


@dataclass(frozen=True)
class UploadTicket:
    """What a client needs to send its bytes straight to the object store."""

    upload: Upload
    urls: list[str]  # one URL for a single PUT, else one per part (part numbers start at 1)
    part_size: int
    expires_in: int


async def start_upload(
    caller: Caller, filename: str, size: int, *, store: ObjectStore, repo: FileRepository, settings: FilesSettings
) -> UploadTicket:
    """Plan a single or multipart upload of `size` bytes for the caller's account; presign URLs bound to it."""
    if caller.account_id is None:
        raise Forbidden("A file belongs to an account: a service token must act for one to upload.")
    if size > settings.max_upload_bytes:
        raise UploadRejected("too-large", f"The file is {size} bytes; the limit is {settings.max_upload_bytes} bytes.")
    upload = Upload.plan(
        caller.account_id, filename, size, threshold=settings.multipart_threshold, part_size=settings.part_size
    )
    ttl = settings.presign_ttl_seconds
    lengths = upload.part_lengths(settings.part_size)
    if upload.part_count == 1:
        urls = [await store.presign_put(upload.key, ttl, size)]
    else:
        upload = replace(upload, multipart_id=await store.start_multipart(upload.key))
        assert upload.multipart_id is not None
        urls = [
            await store.presign_part(upload.key, upload.multipart_id, n, ttl, length)
            for n, length in enumerate(lengths, 1)
        ]
    await repo.add_upload(upload)
    log.info(
        "upload started",
        extra={"upload_id": str(upload.id), "account_id": str(caller.account_id), "size": size, "parts": len(urls)},
    )
    return UploadTicket(upload=upload, urls=urls, part_size=settings.part_size, expires_in=ttl)


async def complete_upload(
    caller: Caller,
    upload_id: uuid.UUID,
    parts: list[tuple[int, str]],
    *,
    store: ObjectStore,
    repo: FileRepository,
    settings: FilesSettings,
) -> tuple[ModelFile, bool]:
    """Validate the caller's uploaded object and store it by content; return (the caller's file, deduplicated:
    the caller already had these bytes)."""
    upload = await repo.get_upload(upload_id)
    if upload is None or upload.account_id is None or upload.account_id != caller.account_id:
        raise NotFound(f"no open upload {upload_id}")
    with tracer.start_as_current_span("files.complete_upload", attributes={"upload.id": str(upload_id)}):
        if upload.multipart_id is not None:
            await _finish_multipart(upload, parts, store)
        try:
            size = await store.size(upload.key)
        except ObjectMissing:
            raise UploadIncomplete("Nothing has been uploaded to this upload's URL yet.") from None
        try:
            sha256, summary = await _inspect(upload, size, store, settings)
        except UploadRejected as exc:
            await _discard(upload, store, repo)
            UPLOADS.labels("rejected", exc.code).inc()
            log.info("upload rejected", extra={"upload_id": str(upload_id), "code": exc.code})
            raise
        file, deduplicated = await _store(upload, upload.account_id, sha256, size, summary, store, repo)
    UPLOADS.labels("deduplicated" if deduplicated else "accepted", "").inc()
    log.info(
        "upload accepted",
        extra={"upload_id": str(upload_id), "file_id": str(file.id), "sha256": sha256, "deduplicated": deduplicated},
    )
    return file, deduplicated


async def _finish_multipart(upload: Upload, parts: list[tuple[int, str]], store: ObjectStore) -> None:
    expected = set(range(1, upload.part_count + 1))
    if {n for n, _ in parts} != expected or len(parts) != len(expected):
        raise UploadIncomplete(f"Expected ETags for parts 1..{upload.part_count}, got {len(parts)} part(s).")
    assert upload.multipart_id is not None
    try:
        await store.complete_multipart(upload.key, upload.multipart_id, parts)
    except Exception as exc:
        if await store.exists(upload.key):
            return  # completed by an earlier attempt of this same request
        raise UploadIncomplete(f"The store refused to assemble the parts: {exc}") from exc


async def _inspect(upload: Upload, size: int, store: ObjectStore, settings: FilesSettings) -> tuple[str, MeshSummary]:
    if size > settings.max_upload_bytes:
        raise UploadRejected("too-large", f"The file is {size} bytes; the limit is {settings.max_upload_bytes} bytes.")
    if size != upload.declared_size:
        # The signed lengths make the store refuse this; a store that does not check them is caught here.
        raise UploadRejected(
            "size-mismatch", f"{size} bytes were uploaded, but the upload was started for {upload.declared_size}."
        )
    with tempfile.TemporaryDirectory(prefix="upload-") as tmp:
        path = Path(tmp) / "model"
        sha256 = await store.download(upload.key, path)
        try:
            summary = await asyncio.to_thread(validate_model, path, max_bytes=settings.max_upload_bytes)
        except InvalidModel as exc:
            raise UploadRejected(exc.code, exc.detail) from exc
    return sha256, summary


async def _store(
    upload: Upload,
    owner: uuid.UUID,
    sha256: str,
    size: int,
    summary: MeshSummary,
    store: ObjectStore,
    repo: FileRepository,
) -> tuple[ModelFile, bool]:
    content = await _content(upload, sha256, size, summary, store, repo)
    # Deduplicated only against the owner's own files: whether anyone else has these bytes is never told.
    file = await repo.find_file(owner, content.id)
    deduplicated = file is not None
    if file is None:
        file = ModelFile(id=uuid.uuid4(), owner=owner, filename=upload.filename, content=content)
        try:
            await repo.add_file(file)
        except DuplicateFile:  # the same account completed another upload of these bytes at the same time
            file, deduplicated = await repo.find_file(owner, content.id), True
            assert file is not None
    await _discard(upload, store, repo)
    return file, deduplicated


async def _content(
    upload: Upload, sha256: str, size: int, summary: MeshSummary, store: ObjectStore, repo: FileRepository
) -> Content:
    """The stored content with these bytes: found, or copied to its content-addressed key and recorded."""
    existing = await repo.find_content(sha256)
    if existing is not None:
        return existing
    content = Content(id=uuid.uuid4(), sha256=sha256, size=size, key=object_key_for(sha256), summary=summary)
    await store.copy(upload.key, content.key)
    try:
        await repo.add_content(content)
    except DuplicateContent:  # a concurrent upload of the same content won; same key, same bytes
        existing = await repo.find_content(sha256)
        assert existing is not None
        return existing
    return content


async def _discard(upload: Upload, store: ObjectStore, repo: FileRepository) -> None:
    """Forget the upload and its temporary object."""
    await store.delete(upload.key)
    await repo.remove_upload(upload.id)


async def get_file(caller: Caller, file_id: uuid.UUID, *, repo: FileRepository) -> ModelFile:
    """The metadata of a file the caller may see (another account's is NotFound, as a missing one)."""
    file = await repo.get_file(file_id)
    if file is None or not caller.may_see(file.owner):
        raise NotFound(f"no file {file_id}")
    return file


async def download_url(
    caller: Caller, file_id: uuid.UUID, *, store: ObjectStore, repo: FileRepository, settings: FilesSettings
) -> tuple[ModelFile, str]:
    """A presigned GET URL for a file the caller may see, named with that file's own name."""
    file = await get_file(caller, file_id, repo=repo)
    return file, await store.presign_get(file.key, settings.presign_ttl_seconds, file.filename)


async def sweep_stale_uploads(
    *, store: ObjectStore, repo: FileRepository, settings: FilesSettings, now: datetime | None = None
) -> int:
    """Remove uploads abandoned for longer than the presign TTL plus the grace: their temporary object, their
    multipart upload (aborted, so its parts stop taking space) and their row. Return how many."""
    age = timedelta(seconds=settings.presign_ttl_seconds + settings.upload_grace_seconds)
    cutoff = (now or datetime.now(UTC)) - age

    async def clean(upload: Upload) -> None:
        if upload.multipart_id is not None:
            await store.abort_multipart(upload.key, upload.multipart_id)
        await store.delete(upload.key)

    swept = 0
    while batch := await repo.sweep_uploads(cutoff, settings.sweep_batch, clean):
        swept += batch
        SWEPT.inc(batch)
        if batch < settings.sweep_batch:
            break
    if swept:
        log.info("stale uploads swept", extra={"swept": swept, "created_before": cutoff.isoformat()})
    return swept


async def apply_lifecycle(store: ObjectStore, prefix: str = UPLOADS_PREFIX, days: int = LIFECYCLE_DAYS) -> None:
    """Ask the store to expire objects under `prefix` (and abort multipart uploads there) itself: for uploads a
    backstop to the sweeper, for pricing checkpoints their only cleanup. A store without lifecycle rules is
    logged, not fatal."""
    try:
        await store.expire(prefix, days)
    except Exception as exc:
        log.warning("no lifecycle rule on this store: %r", exc, extra={"prefix": prefix})
        return
    log.info("lifecycle rule applied", extra={"prefix": prefix, "days": days})


async def run_sweeper(*, store: ObjectStore, repo: FileRepository, settings: FilesSettings) -> None:
    """Sweep every `sweep_interval_seconds` until cancelled; a failed sweep is logged and tried again later."""
    while True:
        try:
            await sweep_stale_uploads(store=store, repo=repo, settings=settings)
        except Exception as exc:  # the database or the store is down: the next round tries again
            log.warning("sweeping stale uploads failed: %r", exc)
        await asyncio.sleep(settings.sweep_interval_seconds)
