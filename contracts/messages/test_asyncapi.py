"""The committed AsyncAPI document is current, structurally sound, and describes the messages producers build."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
import yaml

from contracts.asyncapi import DOCUMENT, document, render
from contracts.messages.labels import labelled
from contracts.messages.providers.verify import PRODUCERS
from system.kernel.messaging.catalogue import CATALOGUE

pytestmark = labelled("messaging", "AsyncAPI document")
COMMITTED: dict[str, Any] = yaml.safe_load(DOCUMENT.read_text())


def refs(node: Any) -> Iterator[str]:
    """Every `$ref` in the document."""
    if isinstance(node, dict):
        yield from ([node["$ref"]] if isinstance(node.get("$ref"), str) else [])
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def resolve(pointer: str) -> Any:
    node: Any = COMMITTED
    for part in pointer.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_the_committed_document_is_current() -> None:
    assert DOCUMENT.read_text() == render(document()), "stale: run python -m contracts.asyncapi and commit it"


def test_it_is_asyncapi_3_and_every_reference_resolves() -> None:
    assert COMMITTED["asyncapi"] == "3.0.0"
    broken = []
    for ref in set(refs(COMMITTED)):
        try:
            resolve(ref)
        except (KeyError, TypeError):
            broken.append(ref)
    assert not broken, f"references to nothing: {sorted(broken)}"


def test_each_operation_uses_its_own_channel_and_that_channel_s_messages() -> None:
    for name, operation in COMMITTED["operations"].items():
        assert operation["action"] in ("send", "receive"), name
        channel = operation["channel"]["$ref"]
        assert all(m["$ref"].startswith(f"{channel}/messages/") for m in operation["messages"]), name


@pytest.mark.parametrize("type_", sorted(CATALOGUE))
def test_each_message_is_sent_once_and_received_once(type_: str) -> None:
    def by(action: str) -> list[str]:
        return [
            name
            for name, op in COMMITTED["operations"].items()
            if op["action"] == action and any(m["$ref"].endswith(f"/messages/{type_}") for m in op["messages"])
        ]

    assert len(by("send")) == 1 and len(by("receive")) == 1, (by("send"), by("receive"))


def validator(type_: str) -> Any:
    return jsonschema_rs.validator_for(
        {"components": COMMITTED["components"], "$ref": f"#/components/messages/{type_}/payload"}
    )


@pytest.mark.parametrize("type_", sorted(CATALOGUE))
def test_the_message_a_producer_builds_matches_the_document(type_: str) -> None:
    produce = next(p[type_] for p in PRODUCERS.values() if type_ in p)
    built = json.loads(asyncio.run(produce()).to_bytes())
    errors = [str(e) for e in validator(type_).iter_errors(built)]
    assert not errors, errors
    assert not validator(type_).is_valid({**built, "payload": {}}), "an empty payload must not match"
    assert not validator(type_).is_valid({**built, "type": "something.else"}), "another type must not match"
