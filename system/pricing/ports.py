"""What the pricing use case needs from the outside world, and the errors that cross that boundary."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol


class FetchModel(Protocol):
    """(file id, expected sha256, for whom) -> a local file holding exactly that content. The File Service
    lets the worker read only files of the customer it acts for. Raises ModelUnavailable when retrying cannot
    help, anything else (e.g. FilesUnavailable) when it can."""

    async def __call__(
        self, file_id: uuid.UUID, sha256: str, *, customer_id: uuid.UUID | None, order_id: uuid.UUID
    ) -> Path: ...


# Percent of the job done, for pricing.progress; best effort.
Progress = Callable[[float], Awaitable[None]]


class ModelUnavailable(Exception):
    """The model cannot be had, and asking again will not change that: the job fails with this reason."""


class ModelNotFound(ModelUnavailable):
    """The File Service (or the bucket behind it) does not have the file."""


class ContentMismatch(ModelUnavailable):
    """The downloaded bytes are not the content the order line names (its sha256 differs)."""


class FilesUnavailable(RuntimeError):
    """The File Service or the object store is unreachable or failing: transient, the job is retried."""
