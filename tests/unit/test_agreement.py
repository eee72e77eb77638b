"""The agreement invariant between CRM and MES: complete over both services' states, and strict where it matters."""

from __future__ import annotations

import itertools

import pytest

from system.agreement import ABSENT, COMPATIBLE, MES_STATES, SETTLED, disagreement, mes_state, production_started
from system.crm.domain import TRANSITIONS, State
from system.mes.domain import JobState, OrderStage


def test_every_crm_state_and_every_mes_state_is_in_the_table() -> None:
    """A state added to either service without a rule here fails this test."""
    assert set(COMPATIBLE) == set(SETTLED) == {s.value for s in State}
    assert {s.value for s in JobState} | {s.value for s in OrderStage} | {ABSENT} == MES_STATES
    assert all(allowed <= MES_STATES for allowed in COMPATIBLE.values())


def test_what_must_hold_when_settled_may_also_be_seen_in_flight() -> None:
    assert all(SETTLED[state] <= COMPATIBLE[state] for state in SETTLED)


@pytest.mark.parametrize("job", ["printing", "qc", "passed", "shipped"])
def test_a_cancelled_order_never_agrees_with_a_started_job(job: str) -> None:
    assert production_started(job)
    assert disagreement("cancelled", job) is not None
    assert "CRM says cancelled, MES says " + job in (disagreement("cancelled", job) or "")


@pytest.mark.parametrize("crm", ["confirmed", "in_production", "quality_check", "qc_failed", "shipped", "delivered"])
def test_a_job_mes_cancelled_never_agrees_with_an_order_the_crm_goes_on_with(crm: str) -> None:
    assert disagreement(crm, "cancelled") is not None


def test_lag_is_allowed_in_flight_but_not_once_settled() -> None:
    assert disagreement("confirmed", "printing") is None  # production.started on its way to the CRM
    assert disagreement("confirmed", "printing", settled=True) is not None
    assert disagreement("cancellation_requested", "queued", settled=True) is not None  # a request always ends


def test_each_state_the_crm_can_reach_has_a_settled_partner_except_a_pending_request() -> None:
    reachable = {b.value for targets in TRANSITIONS.values() for b in targets} | {"pricing"}
    assert {s for s in reachable if not SETTLED[s]} == {"cancellation_requested"}


def test_the_mes_state_is_the_job_state_else_the_stage_else_absent() -> None:
    assert [mes_state("confirmed", "printing"), mes_state("priced", None), mes_state(None, None)] == [
        "printing",
        "priced",
        ABSENT,
    ]


def test_an_unknown_crm_state_is_reported() -> None:
    assert disagreement("lost", "queued") == "unknown CRM state 'lost'"


def test_the_relation_is_not_trivially_permissive() -> None:
    """Guard against a table edited into 'everything agrees': most pairs must be forbidden."""
    pairs = list(itertools.product(COMPATIBLE, MES_STATES))
    allowed = sum(1 for crm, mes in pairs if disagreement(crm, mes) is None)
    assert allowed < len(pairs) / 2
