"""File Service use cases: hand out presigned uploads, validate completed ones, serve downloads."""

from __future__ import annotations

import asyncio
import logging
import tempfile
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

from opentelemetry import trace
from prometheus_client import Counter

from system.files.adapters.repository import DuplicateContent, FileRepository
from system.files.adapters.storage import ObjectMissing, ObjectStore
from system.files.domain import ModelFile, NotFound, Upload, UploadIncomplete, UploadRejected, object_key_for
from system.files.settings import FilesSettings
from system.mesh import InvalidModel, MeshSummary, validate_model

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)
UPLOADS = Counter("files_uploads_completed_total", "Completed uploads by outcome", ["outcome", "code"])


@dataclass(frozen=True)
class UploadTicket:
    """What a client needs to send its bytes straight to the object store."""

    upload: Upload
    urls: list[str]  # one URL for a single PUT, else one per part (part numbers start at 1)
    part_size: int
    expires_in: int


async def start_upload(
    filename: str, size: int, *, store: ObjectStore, repo: FileRepository, settings: FilesSettings
) -> UploadTicket:
    """Plan a single or multipart upload for a file of `size` bytes and presign its URLs."""
    if size > settings.max_upload_bytes:
        raise UploadRejected("too-large", f"The file is {size} bytes; the limit is {settings.max_upload_bytes} bytes.")
    upload = Upload.plan(filename, size, threshold=settings.multipart_threshold, part_size=settings.part_size)
    ttl = settings.presign_ttl_seconds
    if upload.part_count == 1:
        urls = [await store.presign_put(upload.key, ttl)]
    else:
        upload = replace(upload, multipart_id=await store.start_multipart(upload.key))
        assert upload.multipart_id is not None
        urls = [
            await store.presign_part(upload.key, upload.multipart_id, n, ttl) for n in range(1, upload.part_count + 1)
        ]
    await repo.add_upload(upload)
    log.info("upload started", extra={"upload_id": str(upload.id), "size": size, "parts": upload.part_count})
    return UploadTicket(upload=upload, urls=urls, part_size=settings.part_size, expires_in=ttl)


async def complete_upload(
    upload_id: uuid.UUID,
    parts: list[tuple[int, str]],
    *,
    store: ObjectStore,
    repo: FileRepository,
    settings: FilesSettings,
) -> tuple[ModelFile, bool]:
    """Validate the uploaded object and store it by content; return (file, deduplicated)."""
    upload = await repo.get_upload(upload_id)
    if upload is None:
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
        file, deduplicated = await _store(upload, sha256, size, summary, store, repo)
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
    with tempfile.TemporaryDirectory(prefix="upload-") as tmp:
        path = Path(tmp) / "model"
        sha256 = await store.download(upload.key, path)
        try:
            summary = await asyncio.to_thread(validate_model, path, max_bytes=settings.max_upload_bytes)
        except InvalidModel as exc:
            raise UploadRejected(exc.code, exc.detail) from exc
    return sha256, summary


async def _store(
    upload: Upload, sha256: str, size: int, summary: MeshSummary, store: ObjectStore, repo: FileRepository
) -> tuple[ModelFile, bool]:
    existing = await repo.find_by_sha256(sha256)
    if existing is None:
        file = ModelFile(
            id=uuid.uuid4(),
            sha256=sha256,
            size=size,
            filename=upload.filename,
            key=object_key_for(sha256),
            summary=summary,
        )
        await store.copy(upload.key, file.key)
        try:
            await repo.add_file(file)
        except DuplicateContent:  # a concurrent upload of the same content won; same key, same bytes
            existing = await repo.find_by_sha256(sha256)
    await _discard(upload, store, repo)
    return (existing, True) if existing is not None else (file, False)


async def _discard(upload: Upload, store: ObjectStore, repo: FileRepository) -> None:
    """Forget the upload and its temporary object."""
    await store.delete(upload.key)
    await repo.remove_upload(upload.id)


async def get_file(file_id: uuid.UUID, *, repo: FileRepository) -> ModelFile:
    """The metadata of a stored file."""
    file = await repo.get_file(file_id)
    if file is None:
        raise NotFound(f"no file {file_id}")
    return file


async def download_url(
    file_id: uuid.UUID, *, store: ObjectStore, repo: FileRepository, settings: FilesSettings
) -> tuple[ModelFile, str]:
    """A presigned GET URL for a stored file."""
    file = await get_file(file_id, repo=repo)
    return file, await store.presign_get(file.key, settings.presign_ttl_seconds, file.filename)
