"""The order lifecycle: every allowed transition works, every other one is refused."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta

import pytest

from system.crm.domain import HOLDERS, STUCK_AFTER, TRANSITIONS, InvalidTransition, Order, State, holder

ALLOWED = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
FORBIDDEN = sorted(set(itertools.product(State, State)) - ALLOWED)


def order_in(state: State) -> Order:
    order = Order(id=uuid.uuid4(), customer_id=uuid.uuid4(), lines=[])
    order.state = state
    return order


def test_the_lifecycle_is_the_agreed_one() -> None:
    happy = [State.PRICING, State.QUOTED, State.CONFIRMED, State.IN_PRODUCTION, State.QUALITY_CHECK, State.SHIPPED]
    assert all((a, b) in ALLOWED for a, b in itertools.pairwise([*happy, State.DELIVERED]))
    assert {(State.QUALITY_CHECK, State.QC_FAILED), (State.QC_FAILED, State.IN_PRODUCTION)} <= ALLOWED
    cancellable = {a for a, b in ALLOWED if b is State.CANCELLED}
    # a confirmed order is cancelled only by MES's acceptance of the request
    assert cancellable == {State.PRICING, State.QUOTED, State.PRICING_FAILED, State.CANCELLATION_REQUESTED}
    assert (State.CONFIRMED, State.CANCELLATION_REQUESTED) in ALLOWED


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_an_allowed_transition_moves_the_order_and_is_recorded(current: State, target: State) -> None:
    order = order_in(current)
    order.transition(target, source="test", note="why")
    assert order.state is target
    assert [(e.state, e.source, e.note) for e in order.timeline] == [(target, "test", "why")]


@pytest.mark.parametrize(("current", "target"), FORBIDDEN)
def test_a_forbidden_transition_is_refused_and_changes_nothing(current: State, target: State) -> None:
    order = order_in(current)
    with pytest.raises(InvalidTransition):
        order.transition(target, source="test")
    assert order.state is current and order.timeline == []


def test_customers_may_confirm_only_a_quote_and_cancel_only_before_production() -> None:
    assert order_in(State.QUOTED).allowed_actions() == ("confirm", "cancel")
    assert order_in(State.PRICING).allowed_actions() == ("cancel",)
    assert order_in(State.IN_PRODUCTION).allowed_actions() == ()
    assert order_in(State.CANCELLATION_REQUESTED).allowed_actions() == ()


@pytest.mark.parametrize(("action", "target"), [("confirm", State.CONFIRMED), ("cancel", State.CANCELLED)])
def test_while_mes_decides_a_cancellation_nobody_may_confirm_or_cancel(action: str, target: State) -> None:
    """The lifecycle allows cancellation_requested -> confirmed/cancelled, but only as MES's answer."""
    order = order_in(State.CANCELLATION_REQUESTED)
    assert order.can_become(target)
    with pytest.raises(InvalidTransition):
        order.require_action(action, target)


def test_a_note_records_an_event_without_changing_the_state() -> None:
    order = order_in(State.IN_PRODUCTION)
    since = order.state_since
    order.note("cancellation refused: printing", source="mes")
    assert order.state is State.IN_PRODUCTION and order.state_since == since
    assert [(e.state, e.note) for e in order.timeline] == [(State.IN_PRODUCTION, "cancellation refused: printing")]


def test_an_order_is_stuck_once_it_overstays_its_state() -> None:
    order = order_in(State.PRICING)
    limit = STUCK_AFTER[State.PRICING]
    assert not order.is_stuck(order.state_since + limit - timedelta(seconds=1))
    assert order.is_stuck(order.state_since + limit + timedelta(seconds=1))
    assert not order_in(State.DELIVERED).is_stuck(order.state_since + timedelta(days=365))


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (State.PRICING, "pricing pool (via MES)"),
        (State.QUOTED, "customer"),
        (State.PRICING_FAILED, "customer"),
        (State.CONFIRMED, "MES (production)"),
        (State.IN_PRODUCTION, "MES (production)"),
        (State.QUALITY_CHECK, "MES (production)"),
        (State.QC_FAILED, "MES (production)"),
        (State.CANCELLATION_REQUESTED, "MES (deciding the cancellation)"),
        (State.SHIPPED, "carrier"),
        (State.DELIVERED, None),
        (State.CANCELLED, None),
    ],
)
def test_each_state_names_who_holds_the_order(state: State, expected: str | None) -> None:
    assert holder(state) == expected


def test_only_finished_orders_are_held_by_nobody_and_every_state_with_a_limit_has_a_holder() -> None:
    assert set(HOLDERS) == set(State), "a new state must say who holds it"
    assert {s for s in State if holder(s) is None} == {s for s, targets in TRANSITIONS.items() if not targets}
    assert all(holder(s) for s in STUCK_AFTER)


@pytest.mark.parametrize("state", list(State))
def test_a_position_measures_the_time_in_the_state_against_its_limit(state: State) -> None:
    order = order_in(state)
    now = order.state_since + timedelta(days=30, seconds=1)

    position = order.position(now)

    assert (position.state, position.since, position.elapsed) == (state, order.state_since, now - order.state_since)
    assert position.limit == STUCK_AFTER.get(state) and position.holder == holder(state)
    assert (
        position.stuck is order.is_stuck(now) is (state in STUCK_AFTER and STUCK_AFTER[state] < now - order.state_since)
    )


def test_an_order_is_stuck_only_past_its_limit_not_at_it() -> None:
    order = order_in(State.CANCELLATION_REQUESTED)
    limit = STUCK_AFTER[State.CANCELLATION_REQUESTED]
    assert not order.position(order.state_since + limit).stuck
    assert order.position(order.state_since + limit + timedelta(microseconds=1)).stuck
