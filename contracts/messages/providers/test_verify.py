"""Every committed message pact, and the previous release's, verified against the producers' real code paths."""

from __future__ import annotations

from pathlib import Path

import allure
import pytest

from contracts.messages.labels import labelled
from contracts.messages.pacts import COMMITTED, messages_dir
from contracts.messages.providers.verify import PRODUCERS, verify
from contracts.release import previous_pacts, previous_release
from system.kernel.messaging.envelope import Envelope

pytestmark = labelled("messaging", "providers verified")

CURRENT = sorted(messages_dir(COMMITTED).glob("*.json"))
PREVIOUS = previous_pacts("messages")


def _check(pact: Path) -> None:
    verdict = verify(pact)
    allure.attach(verdict.output, name=f"verification of {pact.name}", attachment_type=allure.attachment_type.TEXT)
    assert verdict.passed, verdict.output


def test_there_are_message_pacts_to_verify() -> None:
    assert {p.name for p in CURRENT} == {"crm-mes.json", "mes-crm.json", "mes-pricing.json", "pricing-mes.json"}


@pytest.mark.parametrize("pact", CURRENT, ids=lambda p: p.stem)
def test_committed_pact_is_honoured_by_its_provider(pact: Path) -> None:
    _check(pact)


def test_a_previous_release_is_kept_to_check_against() -> None:
    assert previous_release() is not None and PREVIOUS, "contracts/releases/<version>/pacts/messages/ is missing"


@pytest.mark.parametrize("pact", PREVIOUS, ids=lambda p: f"{p.parent.parent.parent.name}:{p.stem}")
def test_previous_release_pact_is_honoured_by_the_current_provider(pact: Path) -> None:
    _check(pact)


def test_a_producer_that_renames_a_field_fails_naming_it() -> None:
    async def renamed() -> Envelope:
        real = await PRODUCERS["crm"]["order.placed"]()
        payload = {("customer" if k == "customer_id" else k): v for k, v in real.payload.items()}
        return real.model_copy(update={"payload": payload})

    verdict = verify(COMMITTED / "messages" / "mes-crm.json", {**PRODUCERS["crm"], "order.placed": renamed})
    allure.attach(verdict.output, name="what a developer sees", attachment_type=allure.attachment_type.TEXT)
    assert not verdict.passed
    assert "$.payload -> Actual map is missing the following keys: customer_id" in verdict.output
