"""Example messages from a release's schemas: they cover what that release could send, and today's consumers
refusing one of them is reported (what the previous-release check relies on)."""

from __future__ import annotations

import asyncio
import copy
import json

import pytest

from contracts.messages.consumers.registry import BY_TYPE, FOR_SAMPLES
from contracts.messages.labels import labelled
from contracts.messages.samples import samples
from contracts.messages.schemas import Schema, current_schemas
from system.kernel.messaging.catalogue import Material
from system.kernel.messaging.envelope import UndecodableMessage

pytestmark = labelled("messaging", "example messages of a release", feature="compatibility with the previous release")


def handled(type_: str, body: bytes) -> None:
    asyncio.run(FOR_SAMPLES[BY_TYPE[type_]](body))


def test_samples_have_required_fields_only_every_field_and_every_enum_value() -> None:
    made = [json.loads(body)["payload"] for _, body in samples(current_schemas()["order.placed"])]
    assert {p["lines"][0]["material"] for p in made} == {m.value for m in Material}
    assert any("contract_discount_pct" not in p for p in made) and any("contract_discount_pct" in p for p in made)


def test_an_older_release_without_a_field_now_required_is_refused_naming_it() -> None:
    older: Schema = copy.deepcopy(current_schemas()["order.cancelled"])
    del older["payload"]["properties"]["reason"]
    older["payload"]["required"].remove("reason")
    with pytest.raises(UndecodableMessage, match=r"order\.cancelled payload reason: Field required"):
        handled("order.cancelled", samples(older)[0][1])


def test_an_enum_value_only_an_older_release_knew_is_refused_naming_it() -> None:
    older: Schema = copy.deepcopy(current_schemas()["pricing.requested"])
    older["payload"]["$defs"]["Material"]["enum"].append("ultem")
    refused = []
    for _, body in samples(older):
        try:
            handled("pricing.requested", body)
        except UndecodableMessage as exc:
            refused.append(str(exc))
    assert refused and all("line.material" in reason for reason in refused)
