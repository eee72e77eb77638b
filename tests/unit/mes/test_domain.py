"""Production job actions and the aggregation of pricing results into one quote."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from system.mes.domain import ACTIONS, InvalidAction, JobState, PricingJob, PricingState, ProductionJob, quote


def job_in(state: JobState) -> ProductionJob:
    return ProductionJob(id=uuid.uuid4(), order_id=uuid.uuid4(), lines=[], state=state)


def test_the_production_path_with_a_reprint() -> None:
    job = job_in(JobState.QUEUED)
    events = [job.act(a) for a in ["start", "complete", "qc-fail", "start", "complete", "qc-pass", "ship"]]
    assert events == [
        "production.started",
        "production.completed",
        "production.qc_failed",
        "production.started",
        "production.completed",
        None,
        "production.shipped",
    ]
    assert job.state is JobState.SHIPPED and job.attempts == 2


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("state", list(JobState))
def test_an_action_is_refused_in_any_other_state(action: str, state: JobState) -> None:
    required, target, _ = ACTIONS[action]
    job = job_in(state)
    if state is required:
        job.act(action)
        assert job.state is target
    else:
        with pytest.raises(InvalidAction):
            job.act(action)
        assert job.state is state


def priced(total: str) -> PricingJob:
    return PricingJob(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), PricingState.COMPLETED, total_price=Decimal(total))


def test_no_quote_while_any_line_is_pending() -> None:
    pending = PricingJob(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    assert quote([priced("10.00"), pending]) is None


def test_the_quote_is_the_sum_of_the_lines() -> None:
    assert quote([priced("10.50"), priced("4.25")]) == (Decimal("14.75"), [])


def test_any_failed_line_fails_the_order_with_its_reason() -> None:
    failed = PricingJob(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), PricingState.FAILED, reason="mesh is not closed")
    _, reasons = quote([priced("10.00"), failed]) or (None, [])
    assert reasons == ["mesh is not closed"]


def test_each_announced_production_event_gets_the_next_sequence_number_through_a_reprint() -> None:
    job = ProductionJob(id=uuid.uuid4(), order_id=uuid.uuid4(), lines=[])
    actions = ["start", "complete", "qc-fail", "start", "complete", "qc-fail", "start", "complete", "qc-pass", "ship"]
    numbered = [(event, job.sequence(event)) for action in actions if (event := job.act(action)) is not None]
    assert [n for _, n in numbered] == list(range(1, 10))
    assert numbered[-1] == ("production.shipped", 9)
