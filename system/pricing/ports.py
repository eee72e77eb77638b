"""What the pricing use case needs from the outside world, and the errors that cross that boundary."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

from system.kernel.messaging.catalogue import Material, Process
from system.mesh.geometry import Triangles
from system.pricing.build import Build
from system.pricing.orientation import Orientation
from system.pricing.slicer import OnProgress


class FetchModel(Protocol):
    """(file id, expected sha256, for whom) -> a local file holding exactly that content. The File Service
    lets the worker read only files of the customer it acts for. Raises ModelUnavailable when retrying cannot
    help, anything else (e.g. FilesUnavailable) when it can."""

    async def __call__(
        self, file_id: uuid.UUID, sha256: str, *, customer_id: uuid.UUID | None, order_id: uuid.UUID
    ) -> Path: ...


class Slicer(Protocol):
    """Slices the part (triangles in mm) one way up: its time and material, or why it cannot be printed so.
    `part_cm3` is the part's own volume (SLA tells supports apart with it)."""

    async def __call__(
        self,
        triangles: Triangles,
        orientation: Orientation,
        process: Process,
        material: Material,
        *,
        part_cm3: float,
        on_progress: OnProgress | None = None,
    ) -> Build: ...


# (percent of the job done, what it is doing), for pricing.progress; best effort.
Progress = Callable[[float, str], Awaitable[None]]


class ModelUnavailable(Exception):
    """The model cannot be had, and asking again will not change that: the job fails with this reason."""


class ModelNotFound(ModelUnavailable):
    """The File Service (or the bucket behind it) does not have the file."""


class ContentMismatch(ModelUnavailable):
    """The downloaded bytes are not the content the order line names (its sha256 differs)."""


class FilesUnavailable(RuntimeError):
    """The File Service or the object store is unreachable or failing: transient, the job is retried."""
