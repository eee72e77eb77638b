"""File Service domain: uploads in flight and stored model files (content-addressed)."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from system.mesh import MeshSummary


def object_key_for(sha256: str) -> str:
    """Where a validated file lives: its content hash is its name, so one content is stored once."""
    return f"models/sha256/{sha256[:2]}/{sha256}"


def upload_key_for(upload_id: uuid.UUID) -> str:
    """Where the client's bytes land before validation."""
    return f"uploads/{upload_id}"


@dataclass(frozen=True)
class Upload:
    """A presigned upload handed to a client and not yet completed."""

    id: uuid.UUID
    filename: str
    declared_size: int
    key: str
    multipart_id: str | None
    part_count: int
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def plan(cls, filename: str, size: int, *, threshold: int, part_size: int) -> Upload:
        """Single PUT below the threshold, otherwise multipart in `part_size` parts."""
        upload_id = uuid.uuid4()
        parts = math.ceil(size / part_size) if size > threshold else 1
        return cls(
            id=upload_id,
            filename=filename,
            declared_size=size,
            key=upload_key_for(upload_id),
            multipart_id=None,
            part_count=parts,
        )


@dataclass(frozen=True)
class ModelFile:
    """A validated 3D model: metadata and geometry summary; the bytes are in S3 under `key`."""

    id: uuid.UUID
    sha256: str
    size: int
    filename: str
    key: str
    summary: MeshSummary
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class UploadRejected(Exception):
    """The uploaded bytes are not an acceptable model; nothing of them is kept."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class UploadIncomplete(Exception):
    """The client has not (correctly) uploaded the bytes yet; the upload stays open for a retry."""


class NotFound(LookupError):
    """No such upload or file."""
