"""Every catalogue message has one producer and one consumer, and the committed pacts cover each pair."""

from __future__ import annotations

import json

import pytest

from contracts.messages.labels import labelled
from contracts.messages.pacts import COMMITTED, messages_dir
from contracts.messages.parties import consumers_of, producer_of, routed
from system.kernel.messaging.catalogue import CATALOGUE

pytestmark = labelled("messaging", "every message covered")


def pacted() -> dict[str, tuple[str, str]]:
    """message type -> (consumer, provider) of the committed pact interaction describing it."""
    found: dict[str, tuple[str, str]] = {}
    for pact in sorted(messages_dir(COMMITTED).glob("*.json")):
        recorded = json.loads(pact.read_text())
        for interaction in recorded["interactions"]:
            type_ = interaction["contents"]["content"]["type"]
            assert type_ not in found, f"{type_} is in two pacts"
            found[type_] = (recorded["consumer"]["name"], recorded["provider"]["name"])
    return found


@pytest.mark.parametrize("type_", sorted(CATALOGUE))
def test_one_queue_and_handler_consume_each_message_and_its_queue_receives_it(type_: str) -> None:
    receivers = consumers_of(type_)
    assert len(receivers) == 1, f"{type_} is handled by {[r.service for r in receivers]}"
    assert routed(receivers[0].queue, type_), f"{receivers[0].queue.name} is not bound to receive {type_}"


@pytest.mark.parametrize("type_", sorted(CATALOGUE))
def test_each_message_has_a_pact_between_its_real_consumer_and_producer(type_: str) -> None:
    pair = pacted().get(type_)
    assert pair == (consumers_of(type_)[0].service, producer_of(type_)), f"{type_}: pact between {pair}"
