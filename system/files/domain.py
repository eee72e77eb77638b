"""File Service domain: uploads in flight, stored contents (by sha256) and the accounts' files over them."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from system.mesh import MeshSummary


def object_key_for(sha256: str) -> str:
    """Where a validated file lives: its content hash is its name, so one content is stored once."""
    return f"models/sha256/{sha256[:2]}/{sha256}"


UPLOADS_PREFIX = "uploads/"


def upload_key_for(upload_id: uuid.UUID) -> str:
    """Where the client's bytes land before validation."""
    return f"{UPLOADS_PREFIX}{upload_id}"


@dataclass(frozen=True)
class Caller:
    """Who asks, as far as files go: the account whose files they use (their own, or the one a service acts
    for), and whether they may see every file (operators)."""

    account_id: uuid.UUID | None
    sees_all: bool = False

    def may_see(self, owner: uuid.UUID | None) -> bool:
        """A file is the owner's; operators see all; a file with no owner (from before ownership) is theirs only."""
        return self.sees_all or (owner is not None and owner == self.account_id)


@dataclass(frozen=True)
class Upload:
    """A presigned upload handed to a client and not yet completed, for the account that started it."""

    id: uuid.UUID
    account_id: uuid.UUID | None  # None only for uploads started before ownership (the sweeper removes them)
    filename: str
    declared_size: int
    key: str
    multipart_id: str | None
    part_count: int
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def plan(cls, account_id: uuid.UUID, filename: str, size: int, *, threshold: int, part_size: int) -> Upload:
        """Single PUT below the threshold, otherwise multipart in `part_size` parts."""
        upload_id = uuid.uuid4()
        parts = math.ceil(size / part_size) if size > threshold else 1
        return cls(
            id=upload_id,
            account_id=account_id,
            filename=filename,
            declared_size=size,
            key=upload_key_for(upload_id),
            multipart_id=None,
            part_count=parts,
        )

    def part_lengths(self, part_size: int) -> list[int]:
        """The exact length of each part (all `part_size` but the last): each presigned URL is bound to it."""
        if self.part_count == 1:
            return [self.declared_size]
        return [min(part_size, self.declared_size - n * part_size) for n in range(self.part_count)]


@dataclass(frozen=True)
class Content:
    """Validated bytes, stored once whoever uploads them: geometry summary; the bytes are in S3 under `key`."""

    id: uuid.UUID
    sha256: str
    size: int
    key: str
    summary: MeshSummary
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class ModelFile:
    """An account's file: its own name and date for a stored content. `id` is the public file id, one per
    account and content, so another account's upload of the same bytes is a different, invisible file."""

    id: uuid.UUID
    owner: uuid.UUID | None  # None: a file from before ownership, visible to operators only
    filename: str
    content: Content
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def sha256(self) -> str:
        return self.content.sha256

    @property
    def size(self) -> int:
        return self.content.size

    @property
    def key(self) -> str:
        return self.content.key

    @property
    def summary(self) -> MeshSummary:
        return self.content.summary


class UploadRejected(Exception):
    """The uploaded bytes are not an acceptable model; nothing of them is kept."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class UploadIncomplete(Exception):
    """The client has not (correctly) uploaded the bytes yet; the upload stays open for a retry."""


class NotFound(LookupError):
    """No such upload or file, or not one the caller may see (never "forbidden": that would confirm it exists)."""


class Forbidden(Exception):
    """The caller may not do this at all (a service acting for no account cannot own an upload)."""
