"""In-memory fakes of the File Service's ports: the object store and the metadata repository."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from system.files.adapters.repository import DuplicateContent
from system.files.adapters.storage import ObjectMissing
from system.files.domain import ModelFile, Upload


@dataclass
class FakeStore:
    """Objects are bytes in a dict; a multipart upload keeps its parts until completed."""

    objects: dict[str, bytes] = field(default_factory=dict)
    multiparts: dict[str, dict[int, bytes]] = field(default_factory=dict)

    def put(self, key: str, data: bytes) -> None:
        """What a client's PUT to a presigned URL does."""
        self.objects[key] = data

    def put_part(self, multipart_id: str, number: int, data: bytes) -> str:
        self.multiparts[multipart_id][number] = data
        return hashlib.md5(data).hexdigest()

    async def presign_put(self, key: str, ttl: int) -> str:
        return f"memory://{key}?ttl={ttl}"

    async def start_multipart(self, key: str) -> str:
        multipart_id = uuid.uuid4().hex
        self.multiparts[multipart_id] = {}
        return multipart_id

    async def presign_part(self, key: str, multipart_id: str, part_number: int, ttl: int) -> str:
        return f"memory://{key}?upload={multipart_id}&part={part_number}"

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

    async def ping(self) -> None:
        return None


@dataclass
class FakeRepository:
    uploads: dict[uuid.UUID, Upload] = field(default_factory=dict)
    files: dict[uuid.UUID, ModelFile] = field(default_factory=dict)

    async def add_upload(self, upload: Upload) -> None:
        self.uploads[upload.id] = upload

    async def get_upload(self, upload_id: uuid.UUID) -> Upload | None:
        return self.uploads.get(upload_id)

    async def remove_upload(self, upload_id: uuid.UUID) -> None:
        self.uploads.pop(upload_id, None)

    async def add_file(self, file: ModelFile) -> None:
        if any(f.sha256 == file.sha256 for f in self.files.values()):
            raise DuplicateContent(file.sha256)
        self.files[file.id] = file

    async def get_file(self, file_id: uuid.UUID) -> ModelFile | None:
        return self.files.get(file_id)

    async def find_by_sha256(self, sha256: str) -> ModelFile | None:
        return next((f for f in self.files.values() if f.sha256 == sha256), None)
