"""This release against the previous one: compatible message schemas, and today's consumers handling messages
shaped as the previous release produced them (from its schemas and from its pacts)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from contracts.messages.compat import compare_catalogues
from contracts.messages.consumers.registry import BY_SERVICE, BY_TYPE, FOR_SAMPLES
from contracts.messages.labels import labelled
from contracts.messages.samples import samples
from contracts.messages.schemas import current_schemas
from contracts.release import previous_pacts, previous_release, previous_schemas

pytestmark = labelled("messaging", "compatibility with the previous release")
VERSION = previous_release() or "none"
SCHEMAS = previous_schemas()
SAMPLES = [(t, what, body) for t, schema in (SCHEMAS[1] if SCHEMAS else {}).items() for what, body in samples(schema)]


def test_the_previous_release_kept_every_message_schema() -> None:
    assert SCHEMAS is not None, "no contracts/releases/<version>/schemas/: run python -m contracts.release snapshot"
    assert all({"message_type", "envelope", "payload"} <= set(schema) for schema in SCHEMAS[1].values())
    assert SCHEMAS[1], f"release {VERSION} kept no message schema"


def test_message_schemas_are_compatible_with_the_previous_release() -> None:
    assert SCHEMAS is not None
    found = compare_catalogues(SCHEMAS[1], current_schemas(), SCHEMAS[0])
    assert not found, "\n".join(str(b) for b in found)


@pytest.mark.parametrize(("type_", "what", "body"), SAMPLES, ids=[f"{t}: {w}" for t, w, _ in SAMPLES])
def test_consumers_handle_messages_shaped_as_the_previous_release_produced(type_: str, what: str, body: bytes) -> None:
    try:
        asyncio.run(FOR_SAMPLES[BY_TYPE[type_]](body))
    except Exception as exc:  # the reason, whatever the consumer raised, is the report
        pytest.fail(f"{type_} as release {VERSION} produced it ({what}) is not handled by this release: {exc}")


@pytest.mark.parametrize("pact", previous_pacts("messages"), ids=lambda p: p.stem)
def test_consumers_handle_the_previous_release_pact_messages(pact: Path) -> None:
    recorded = json.loads(pact.read_text())
    consume = BY_SERVICE[recorded["consumer"]["name"]]
    for interaction in recorded["interactions"]:
        asyncio.run(consume(json.dumps(interaction["contents"]["content"]).encode()))
    assert recorded["interactions"], f"{pact.name} of release {VERSION} holds no message"
