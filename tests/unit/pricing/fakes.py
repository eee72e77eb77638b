"""In-memory fakes for the pricing workers: the model fetcher (a File Service in a dict) and requests."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from system.kernel.messaging.catalogue import Material, OrderLine, PricingRequested, Process
from system.pricing.ports import ModelNotFound
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
