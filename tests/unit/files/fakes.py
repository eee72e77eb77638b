"""In-memory fakes of the File Service's ports: the object store and the metadata repository."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from system.files.adapters.repository import DuplicateContent, DuplicateFile
from system.files.domain import Content, ModelFile, Upload
from system.kernel.s3 import ObjectMissing


class SizeRefused(Exception):
    """What S3 answers (403) to a PUT whose length is not the one the presigned URL was signed for."""


@dataclass
class FakeStore:
    """Objects are bytes in a dict; a multipart upload keeps its parts until completed or aborted.

    Like S3 with a signed Content-Length (checked on Ceph RGW), a presigned PUT of another length is refused;
    `enforce_size = False` plays a store that does not check it, so the service's own check can be seen.
    """

    objects: dict[str, bytes] = field(default_factory=dict)
    multiparts: dict[str, dict[int, bytes]] = field(default_factory=dict)
    signed: dict[tuple[str, int], int] = field(default_factory=dict)  # (key or multipart id, part) -> length
    enforce_size: bool = True
    lifecycle: list[tuple[str, int]] = field(default_factory=list)

    def put(self, key: str, data: bytes) -> None:
        """What a client's PUT to a presigned URL does."""
        self._check(key, 1, data)
        self.objects[key] = data

    def put_part(self, multipart_id: str, number: int, data: bytes) -> str:
        self._check(multipart_id, number, data)
        self.multiparts[multipart_id][number] = data
        return hashlib.md5(data).hexdigest()

    def _check(self, key: str, number: int, data: bytes) -> None:
        if self.enforce_size and self.signed.get((key, number)) != len(data):
            raise SizeRefused(f"signed for {self.signed.get((key, number))} bytes, got {len(data)}")

    async def presign_put(self, key: str, ttl: int, size: int) -> str:
        self.signed[(key, 1)] = size
        return f"memory://{key}?ttl={ttl}&length={size}"

    async def start_multipart(self, key: str) -> str:
        multipart_id = uuid.uuid4().hex
        self.multiparts[multipart_id] = {}
        return multipart_id

    async def presign_part(self, key: str, multipart_id: str, part_number: int, ttl: int, size: int) -> str:
        self.signed[(multipart_id, part_number)] = size
        return f"memory://{key}?upload={multipart_id}&part={part_number}&length={size}"

    async def complete_multipart(self, key: str, multipart_id: str, parts: list[tuple[int, str]]) -> None:
        stored = self.multiparts.pop(multipart_id)
        if sorted(stored) != sorted(n for n, _ in parts):
            self.multiparts[multipart_id] = stored
            raise ValueError("InvalidPart")
        self.objects[key] = b"".join(stored[n] for n in sorted(stored))

    async def abort_multipart(self, key: str, multipart_id: str) -> None:
        self.multiparts.pop(multipart_id, None)

    async def size(self, key: str) -> int:
        if key not in self.objects:
            raise ObjectMissing(key)
        return len(self.objects[key])

    async def download(self, key: str, dest: Path) -> str:
        await asyncio.to_thread(dest.write_bytes, self.objects[key])
        return hashlib.sha256(self.objects[key]).hexdigest()

    async def copy(self, source: str, dest: str) -> None:
        self.objects[dest] = self.objects[source]

    async def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    async def exists(self, key: str) -> bool:
        return key in self.objects

    async def presign_get(self, key: str, ttl: int, filename: str) -> str:
        return f"memory://{key}?download={filename}"

    async def expire(self, prefix: str, days: int) -> None:
        self.lifecycle.append((prefix, days))

    async def get_bytes(self, key: str) -> bytes:
        if key not in self.objects:
            raise ObjectMissing(key)
        return self.objects[key]

    async def put_bytes(self, key: str, data: bytes) -> None:
        self.objects[key] = data

    async def ping(self) -> None:
        return None


@dataclass
class FakeRepository:
    """Uploads, contents (one per sha256) and files (one per account and content), like the tables."""

    uploads: dict[uuid.UUID, Upload] = field(default_factory=dict)
    contents: dict[uuid.UUID, Content] = field(default_factory=dict)
    files: dict[uuid.UUID, ModelFile] = field(default_factory=dict)
    sweeping: set[uuid.UUID] = field(default_factory=set)  # rows a sweep holds (SELECT ... FOR UPDATE SKIP LOCKED)

    async def add_upload(self, upload: Upload) -> None:
        self.uploads[upload.id] = upload

    async def get_upload(self, upload_id: uuid.UUID) -> Upload | None:
        return self.uploads.get(upload_id)

    async def remove_upload(self, upload_id: uuid.UUID) -> None:
        self.uploads.pop(upload_id, None)

    async def sweep_uploads(
        self, created_before: datetime, limit: int, clean: Callable[[Upload], Awaitable[None]]
    ) -> int:
        # As the SQL sweep: oldest first, rows another sweep holds are skipped, and the rows go only once every
        # clean-up of this sweep succeeded (one failure rolls the whole sweep back).
        candidates = sorted(self.uploads.values(), key=lambda u: u.created_at)
        stale = [u for u in candidates if u.created_at < created_before and u.id not in self.sweeping][:limit]
        self.sweeping.update(u.id for u in stale)
        try:
            for upload in stale:
                await clean(upload)
            for upload in stale:
                del self.uploads[upload.id]
        finally:
            self.sweeping.difference_update(u.id for u in stale)
        return len(stale)

    async def add_content(self, content: Content) -> None:
        if any(c.sha256 == content.sha256 for c in self.contents.values()):
            raise DuplicateContent(content.sha256)
        self.contents[content.id] = content

    async def find_content(self, sha256: str) -> Content | None:
        return next((c for c in self.contents.values() if c.sha256 == sha256), None)

    async def add_file(self, file: ModelFile) -> None:
        if file.owner is not None and await self.find_file(file.owner, file.content.id):
            raise DuplicateFile(file.content.sha256)
        self.files[file.id] = file

    async def get_file(self, file_id: uuid.UUID) -> ModelFile | None:
        return self.files.get(file_id)

    async def find_file(self, owner: uuid.UUID, content_id: uuid.UUID) -> ModelFile | None:
        return next((f for f in self.files.values() if f.owner == owner and f.content.id == content_id), None)
