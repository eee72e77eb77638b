"""In-memory fakes for the pricing workers: the model fetcher (a File Service in a dict), the slicer, the checkpoint
store, and requests."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from system.kernel.messaging.catalogue import Material, OrderLine, PricingRequested, Process
from system.mesh.geometry import Triangles
from system.pricing.build import Build
from system.pricing.orientation import Orientation, overhang_area
from system.pricing.ports import FetchModel, ModelNotFound
from system.pricing.service import Engine, Memo
from system.pricing.slicer import OnProgress, SliceEstimate, SlicerTimedOut
from tests.unit.kernel.fakes import FakeMessage, FakePublisher

CUSTOMER = uuid.UUID("00000000-0000-4000-8000-0000000000c1")  # whose orders pricing_request makes by default


@dataclass
class FakeModels:
    """What `fetch_model` gives the service: file id -> a model file written by tests.fixtures.meshes, each
    fetched only for its owner (as the File Service shows a service only the files of the account it acts for)."""

    files: dict[uuid.UUID, tuple[Path, uuid.UUID]] = field(default_factory=dict)
    failure: Exception | None = None  # raised by every fetch while set
    fetched: list[uuid.UUID] = field(default_factory=list)

    def add(self, path: Path, owner: uuid.UUID = CUSTOMER) -> tuple[uuid.UUID, str]:
        """Store a model for `owner`; return its (file id, sha256)."""
        file_id = uuid.uuid4()
        self.files[file_id] = (path, owner)
        return file_id, hashlib.sha256(path.read_bytes()).hexdigest()

    async def fetch(
        self, file_id: uuid.UUID, sha256: str, *, customer_id: uuid.UUID | None, order_id: uuid.UUID
    ) -> Path:
        self.fetched.append(file_id)
        if self.failure is not None:
            raise self.failure
        if file_id not in self.files or self.files[file_id][1] != customer_id:
            raise ModelNotFound(f"File not found: the File Service has no file {file_id} for this customer.")
        return self.files[file_id][0]


@dataclass
class FakeSlicer:
    """A slicer with a simple, deterministic model of a build: time grows with the height (layers) and the volume,
    supports with the overhanging area. It reports progress as the real one does, can be made to refuse
    orientations, to run until cancelled, or to time out."""

    refuse: frozenset[str] = frozenset()  # orientation names it cannot slice
    hang: bool = False  # block until cancelled (a job that runs long)
    time_out: bool = False
    sliced: list[str] = field(default_factory=list)
    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(
        self,
        triangles: Triangles,
        orientation: Orientation,
        process: Process,
        material: Material,
        *,
        part_cm3: float,
        on_progress: OnProgress | None = None,
    ) -> Build:
        self.started.set()
        if on_progress is not None:
            for percent, stage in ((10, "Processing triangulated mesh"), (70, "Infilling layers")):
                await on_progress(percent, stage)
        if self.hang:
            await asyncio.Event().wait()
        if self.time_out:
            raise SlicerTimedOut("Slicing took longer than 1 s and was stopped.")
        self.sliced.append(orientation.name)
        if orientation.name in self.refuse:
            return Build(orientation.name, None, "Objects could not fit on the bed")
        height = float(np.ptp(orientation.apply(triangles)[..., 2]))
        support = overhang_area(triangles, orientation.matrix) / 1000
        return Build(orientation.name, SliceEstimate(60 * height + 30 * part_cm3, part_cm3 * 0.4 + support, support))


@dataclass
class MemoryCheckpoints:
    """A checkpoint store in a dict, counting reads and writes."""

    kept: dict[str, Build] = field(default_factory=dict)
    reads: int = 0

    async def get(self, key: str) -> Build | None:
        self.reads += 1
        return self.kept.get(key)

    async def put(self, key: str, build: Build) -> None:
        self.kept[key] = build


def engine(
    fetch_model: FetchModel,
    *,
    slicer: FakeSlicer | None = None,
    checkpoints: MemoryCheckpoints | None = None,
    max_model_bytes: int = 10_000_000,
    job_timeout_s: float = 60.0,
    memo: Memo | None = None,
    progress_every_s: float = 1.0,
) -> Engine:
    """An Engine as app.py wires one, on fakes."""
    return Engine(
        fetch_model=fetch_model,
        slicer=slicer if slicer is not None else FakeSlicer(),
        checkpoints=checkpoints if checkpoints is not None else MemoryCheckpoints(),
        max_model_bytes=max_model_bytes,
        job_timeout_s=job_timeout_s,
        slicer_version="FakeSlicer-1",
        memo=memo if memo is not None else Memo(),
        progress_every_s=progress_every_s,
    )


def pricing_request(
    file_id: uuid.UUID,
    sha256: str,
    *,
    customer_kind: str = "b2c",
    contract_discount_pct: Decimal = Decimal(0),
    customer_id: uuid.UUID | None = CUSTOMER,
    **line: Any,
) -> PricingRequested:
    """A pricing.requested payload for one line (PLA on FDM, one part, 7 days unless told otherwise)."""
    defaults: dict[str, Any] = {
        "material": Material.PLA,
        "process": Process.FDM,
        "quantity": 1,
        "lead_time_days": 7,
    }
    return PricingRequested(
        job_id=uuid.uuid4(),
        order_id=uuid.uuid4(),
        line=OrderLine(line_id=uuid.uuid4(), file_id=file_id, sha256=sha256, **{**defaults, **line}),
        customer_kind=customer_kind,
        contract_discount_pct=contract_discount_pct,
        customer_id=customer_id,
    )


@dataclass
class RecordingMessage(FakeMessage):
    """An incoming message that also records how many messages had been published when it was acked."""

    publisher: FakePublisher | None = None
    published_at_ack: int | None = None

    async def ack(self) -> None:
        await super().ack()
        self.published_at_ack = len(self.publisher.sent) if self.publisher else None
