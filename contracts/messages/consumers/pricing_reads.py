"""A pricing worker reading `pricing.requested`: its real handler and cost model, a model file in memory."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import cast

from contracts.messages.consumers.reading import Reader, dispatcher, read
from system.kernel.messaging.catalogue import PricingCompleted, PricingFailed, PricingRequested
from system.kernel.messaging.envelope import Envelope
from system.pricing.consumers import on_pricing_requested
from system.pricing.ports import Progress
from system.pricing.running import RunningJobs
from system.pricing.service import Outcome, price_line
from tests.fixtures.meshes import write_cube_binary
from tests.unit.kernel.fakes import FakePublisher
from tests.unit.pricing.fakes import FakeModels, engine

MAX_MODEL_BYTES = 10_000_000
OUTCOMES: dict[str, type[PricingCompleted | PricingFailed]] = {
    "pricing.completed": PricingCompleted,
    "pricing.failed": PricingFailed,
}


async def price_for(models: FakeModels, request: PricingRequested, progress: Progress) -> Outcome:
    """The worker's pricing use case over an in-memory File Service."""
    return await price_line(request, engine(models.fetch, max_model_bytes=MAX_MODEL_BYTES), progress)


async def pricing_requested(envelope: Envelope, request: PricingRequested, *, priced: bool = True) -> None:
    """The worker prices the line (`priced`) or, if False, may also refuse it with a reason of the cost model's."""
    publisher, models = FakePublisher(), FakeModels()
    with tempfile.TemporaryDirectory() as folder:
        cube = write_cube_binary(Path(folder) / "part.stl", 20.0)
        owner = cast(uuid.UUID, request.customer_id)  # None in older messages: the fake then serves anyone's None
        models.files[request.line.file_id] = (cube, owner)  # the customer's model, under its id
        await on_pricing_requested(
            envelope, request, publisher=publisher, price=lambda r, p: price_for(models, r, p), jobs=RunningJobs()
        )
    outcomes = [Envelope.from_bytes(p.body) for p in publisher.sent if p.routing_key in OUTCOMES]
    assert len(outcomes) == 1, "the job is answered once, completed or failed (e.g. a lead time it cannot make)"
    assert outcomes[0].type == "pricing.completed" or not priced, f"not priced: {outcomes[0].payload.get('reason')}"
    answer = read(outcomes[0], OUTCOMES[outcomes[0].type])
    assert (answer.job_id, answer.order_id, answer.line_id) == (request.job_id, request.order_id, request.line.line_id)
    assert models.fetched == [request.line.file_id], "the model named by the line was read"


async def pricing_requested_any_outcome(envelope: Envelope, request: PricingRequested) -> None:
    await pricing_requested(envelope, request, priced=False)


READERS: dict[str, Reader] = {"pricing.requested": pricing_requested}
# For messages generated from a schema, which cannot know the combinations the cost model accepts (SLA only
# prints resin; an unknown customer kind is refused): the worker must answer, with a price or a reason.
ANY_OUTCOME: dict[str, Reader] = {"pricing.requested": pricing_requested_any_outcome}

consume = dispatcher(READERS)
consume_any_outcome = dispatcher(ANY_OUTCOME)
