"""The pricing workers' outgoing messages, as the real handler publishes them (in-memory File Service and broker)."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

from contracts.messages.consumers.pricing_reads import price_for
from contracts.messages.providers import Producer
from system.kernel.messaging.envelope import Envelope
from system.pricing.consumers import on_pricing_requested
from system.pricing.running import RunningJobs
from tests.fixtures.meshes import write_cube_binary
from tests.unit.kernel.fakes import FakePublisher
from tests.unit.pricing.fakes import CUSTOMER, FakeModels, pricing_request


async def published(*, model_exists: bool) -> list[Envelope]:
    """What a worker publishes for one request of MES's (for a model the File Service has, or not)."""
    publisher, models = FakePublisher(), FakeModels()
    with tempfile.TemporaryDirectory() as folder:
        cube = write_cube_binary(Path(folder) / "part.stl", 20.0)
        file_id, sha256 = models.add(cube, CUSTOMER) if model_exists else (uuid.uuid4(), "cd" * 32)
        request = pricing_request(file_id, sha256, quantity=3)
        cause = Envelope.wrap(request, type="pricing.requested", producer="mes", correlation_id=str(request.order_id))
        await on_pricing_requested(
            cause, request, publisher=publisher, price=lambda r, p: price_for(models, r, p), jobs=RunningJobs()
        )
    return [Envelope.from_bytes(p.body) for p in publisher.sent]


def event(type_: str, *, model_exists: bool = True) -> Producer:
    """A producer: the first `type_` event a worker publishes."""

    async def produce() -> Envelope:
        return next(e for e in await published(model_exists=model_exists) if e.type == type_)

    return produce


PRODUCERS: dict[str, Producer] = {
    "pricing.progress": event("pricing.progress"),
    "pricing.completed": event("pricing.completed"),
    "pricing.failed": event("pricing.failed", model_exists=False),
}
