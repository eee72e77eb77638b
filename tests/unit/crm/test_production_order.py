"""Production events applied in their sequence whatever order two replicas or retries deliver them in."""

from __future__ import annotations

import uuid
from collections import deque

import pytest

from system.crm import tracking
from system.crm.domain import State
from system.kernel.messaging.catalogue import ProductionEvent
from system.kernel.messaging.consumer import RetryLater
from tests.unit.crm.fakes import FakeCrm, crm_with
from tests.unit.crm.test_cancellation import confirmed
from tests.unit.crm.test_service import B2B, OTHER, mes_says

# A reprint: the first round fails quality control, the second ships.
ROUND = ["production.started", "production.completed"]
REPRINT = [*ROUND, "production.qc_failed", *ROUND, "production.shipped"]


@pytest.fixture
def db() -> FakeCrm:
    return crm_with(B2B, OTHER)


def event(order_id: uuid.UUID, sequence: int) -> tuple[str, ProductionEvent]:
    return REPRINT[sequence - 1], ProductionEvent(order_id=order_id, job_id=uuid.uuid4(), sequence=sequence)


async def deliver_in(db: FakeCrm, order_id: uuid.UUID, arrival: list[int]) -> list[int]:
    """Deliver the events in `arrival` order; one that must wait goes to the back, as after its backoff.
    Returns the order in which events were retried."""
    waiting, retried = deque(arrival), []
    while waiting and len(retried) < 5 * len(arrival):  # an event that can never apply would loop forever
        sequence = waiting.popleft()
        type_, payload = event(order_id, sequence)
        try:
            await mes_says(db, tracking.production_event, payload, type_)
        except RetryLater:
            retried.append(sequence)
            waiting.append(sequence)
    return retried


@pytest.mark.parametrize(
    "arrival",
    [[1, 2, 3, 4, 5, 6], [4, 5, 6, 1, 2, 3], [2, 1, 4, 3, 6, 5], [6, 5, 4, 3, 2, 1]],
)
async def test_a_reprint_is_applied_round_by_round_whatever_the_arrival_order(db: FakeCrm, arrival: list[int]) -> None:
    order_id = await confirmed(db)
    await deliver_in(db, order_id, arrival)
    order = db.orders.rows[order_id]
    assert order.state is State.SHIPPED and order.production_seq == 6
    states = [e.state for e in await db.orders.timeline(order_id) if e.source == "mes"][1:]  # after the quote
    printed = [State.IN_PRODUCTION, State.QUALITY_CHECK]
    assert states == [*printed, State.QC_FAILED, *printed, State.SHIPPED]


async def test_an_event_already_superseded_is_ignored_not_retried(db: FakeCrm) -> None:
    order_id = await confirmed(db)
    await deliver_in(db, order_id, [1, 2, 3, 4])
    assert await deliver_in(db, order_id, [2, 1, 3]) == []  # a second replica's late copies: nothing to wait for
    order = db.orders.rows[order_id]
    assert order.state is State.IN_PRODUCTION and order.production_seq == 4


async def test_an_event_that_overtook_its_predecessor_waits_naming_it(db: FakeCrm) -> None:
    order_id = await confirmed(db)
    type_, payload = event(order_id, 3)
    with pytest.raises(RetryLater, match=r"#3 .* waits for #1"):
        await mes_says(db, tracking.production_event, payload, type_)


async def test_events_of_the_previous_release_without_a_sequence_still_apply_by_state(db: FakeCrm) -> None:
    order_id = await confirmed(db)
    await mes_says(db, tracking.production_event, ProductionEvent(order_id=order_id, job_id=uuid.uuid4()),
                   "production.started")  # fmt: skip
    assert db.orders.rows[order_id].state is State.IN_PRODUCTION and db.orders.rows[order_id].production_seq == 0
