"""The history checker: it finds nothing in a healthy flow, and it catches loss, duplicates and disagreement when
the harness breaks the guarantees that prevent them (the checker is only worth the faults it catches)."""

from __future__ import annotations

import contextlib

import pytest

from chaos.checker import Observed, check
from system.crm.domain import InvalidTransition
from system.mes.domain import InvalidAction
from tests.unit.chaos.sim import Sim, Toggles


async def flow(sim: Sim) -> dict[str, str]:
    """Three orders through the real use cases: delivered, cancelled while quoted, cancelled after confirmation
    while the operator tries to start it. Returns the acknowledged orders with their scripts."""
    scripts = {await sim.place(): s for s in ("deliver", "cancel-quoted", "cancel-confirmed")}
    delivered, quoted, confirmed = scripts
    # A step a fault made impossible (e.g. confirming an order that was never priced) is skipped, as a client
    # would give up on it: the checker must still see what happened.
    with contextlib.suppress(InvalidTransition, InvalidAction, IndexError):
        await sim.confirm(delivered)
        await sim.operate(delivered, ["start", "complete", "qc-pass", "ship"])
        await sim.deliver(delivered)
    with contextlib.suppress(InvalidTransition):
        await sim.cancel(quoted)
    with contextlib.suppress(InvalidTransition, InvalidAction, IndexError):
        await sim.confirm(confirmed)
        await sim.cancel(confirmed)
        await sim.operate(confirmed, ["start"])  # refused (the job is cancelled) unless the CRM decided alone
    return scripts


def kinds(scripts: dict[str, str], sim: Sim) -> dict[str, set[str]]:
    verdict = check(scripts, {o: sim.observed(o) for o in scripts})
    return {s: {f.kind for f in verdict.findings if f.order_id == o} for o, s in scripts.items()}


async def test_a_healthy_flow_has_nothing_lost_duplicated_stuck_or_disagreeing() -> None:
    sim = Sim(Toggles())
    scripts = await flow(sim)
    assert kinds(scripts, sim) == {"deliver": set(), "cancel-quoted": set(), "cancel-confirmed": set()}
    assert sim.dead == []


async def test_acking_before_commit_loses_an_order_and_the_checker_says_so() -> None:
    sim = Sim(Toggles(ack_before_commit={"order.placed"}))  # the first order's announcement is acked, then lost
    scripts = await flow(sim)
    assert kinds(scripts, sim)["deliver"] == {"lost"}


async def test_bypassing_the_inbox_duplicates_an_effect_and_the_checker_says_so() -> None:
    sim = Sim(Toggles(bypass_inbox=True))
    scripts = await flow(sim)
    found = check(scripts, {o: sim.observed(o) for o in scripts})
    assert "duplicated" in kinds(scripts, sim)["deliver"]
    assert any("production jobs" in f.detail for f in found.findings)


async def test_a_cancellation_decided_by_the_crm_alone_is_a_disagreement_the_checker_reports() -> None:
    sim = Sim(Toggles(one_sided_cancel=True))
    scripts = await flow(sim)
    assert kinds(scripts, sim)["cancel-confirmed"] == {"disagreeing"}
    assert {e.type for e in sim.dead} == {"production.started"}  # and the CRM dead-letters MES's news


@pytest.mark.parametrize(
    ("seen", "kind"),
    [
        (Observed(None), "lost"),
        (Observed("pricing", ("pricing",)), "lost"),  # MES never heard of it
        (Observed("quoted", ("pricing", "quoted"), "priced", 1, 0, 1), "stuck"),
        (
            Observed("delivered", ("quoted", "shipped", "delivered", "shipped", "delivered"), "shipped", 1, 1, 1),
            "duplicated",
        ),
        (Observed("delivered", ("pricing", "quoted"), "shipped", 1, 1, 2), "duplicated"),
        (Observed("delivered", ("pricing", "delivered"), "cancelled", 1, 1, 1), "disagreeing"),
    ],
)
def test_each_kind_of_finding_from_a_single_view(seen: Observed, kind: str) -> None:
    verdict = check({"o1": "deliver"}, {"o1": seen})
    assert kind in {f.kind for f in verdict.findings}, verdict.findings
    assert verdict.summary()[kind] >= 1 and not verdict.ok


def test_a_note_repeating_the_current_state_is_not_a_duplicate() -> None:
    """A refused cancellation recorded after production moved on repeats the state without entering it again."""
    timeline = ("pricing", "quoted", "confirmed", "cancellation_requested", "in_production", "quality_check",
                "shipped", "shipped", "delivered")  # fmt: skip
    verdict = check({"o1": "cancel-confirmed"}, {"o1": Observed("delivered", timeline, "shipped", 1, 1, 1)})
    assert verdict.ok, verdict.findings
