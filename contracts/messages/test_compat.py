"""The schema-compatibility checker on deliberately broken schemas: each kind of breaking change is caught and
named, in the right direction; compatible changes pass."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest

from contracts.messages.compat import Breakage, compare, compare_catalogues
from contracts.messages.labels import labelled
from contracts.messages.schemas import Schema, current_schemas

pytestmark = labelled("messaging", "schema compatibility checker")
V = "0.3.0"


def changed(type_: str, change: Callable[[Schema], None]) -> list[Breakage]:
    """The checker's findings for `type_` after `change` is applied to a copy of its current schema."""
    old = current_schemas()[type_]
    new = copy.deepcopy(old)
    change(new)
    return compare(type_, old, new, V)


def line(schema: Schema) -> Schema:
    found: Schema = schema["payload"]["$defs"]["OrderLine"]
    return found


def shown(found: list[Breakage]) -> list[str]:
    return [str(b) for b in found]


def test_a_removed_enum_value_names_the_type_the_field_and_the_release() -> None:
    found = changed("order.placed", lambda s: s["payload"]["$defs"]["Material"]["enum"].remove("abs"))
    assert shown(found) == [
        "order.placed: field lines[].material: enum value 'abs' removed since release 0.3.0 — "
        "messages already in queues or produced by 0.3.0 would be rejected"
    ]


def test_a_new_required_field_breaks_old_messages_and_old_consumers() -> None:
    def add(s: Schema) -> None:
        s["payload"]["properties"]["priority"] = {"type": "integer"}
        s["payload"]["required"].append("priority")

    found = changed("order.confirmed", add)  # today's consumers ignore unknown fields: only old messages break
    assert [(b.path, b.change, b.direction) for b in found] == [("priority", "new required field", "backward")]


def test_a_renamed_field_is_a_removal_and_a_new_required_field() -> None:
    def rename(s: Schema) -> None:
        fields = line(s)["properties"]
        fields["materials"] = fields.pop("material")
        line(s)["required"] = ["materials" if r == "material" else r for r in line(s)["required"]]

    assert [(b.path, b.change, b.direction) for b in changed("pricing.requested", rename)] == [
        ("line.materials", "new required field", "backward"),
        ("line.material", "required field removed or renamed", "forward"),
    ]


def test_a_retyped_field_breaks_both_ways() -> None:
    found = changed("order.placed", lambda s: line(s)["properties"]["quantity"].update(type="string"))
    assert {(b.path, b.direction) for b in found} == {("lines[].quantity", "backward"), ("lines[].quantity", "forward")}
    assert "retyped from integer to string" in str(found[0])


def test_a_nullable_field_that_no_longer_accepts_null_is_retyped() -> None:
    found = changed(
        "pricing.requested",
        lambda s: s["payload"]["properties"].update(customer_id={"type": "string", "format": "uuid"}),
    )
    assert [(b.path, b.direction) for b in found] == [("customer_id", "backward")]


def test_a_narrower_bound_breaks_old_messages_a_wider_one_old_consumers() -> None:
    narrower = changed("order.placed", lambda s: line(s)["properties"]["quantity"].update(maximum=100))
    wider = changed("order.placed", lambda s: line(s)["properties"]["quantity"].update(maximum=20_000))
    assert [(b.path, b.direction) for b in narrower] == [("lines[].quantity", "backward")]
    assert [(b.path, b.direction) for b in wider] == [("lines[].quantity", "forward")]


def test_an_envelope_change_is_named_as_such() -> None:
    found = changed("order.priced", lambda s: s["envelope"]["required"].append("occurred_at"))
    assert shown(found)[0].startswith("order.priced: field envelope.occurred_at: optional field became required")


def test_documentation_and_defaults_are_compatible() -> None:
    def reword(s: Schema) -> None:
        s["payload"]["description"] = "reworded"
        s["payload"]["properties"]["reason"]["title"] = "Why"

    assert changed("order.cancelled", reword) == []


def test_a_new_optional_field_only_breaks_consumers_that_refuse_unknown_fields() -> None:
    def add(s: Schema) -> None:
        s["payload"]["properties"]["note"] = {"type": "string", "default": ""}

    assert changed("order.confirmed", add) == []  # today's consumers ignore unknown fields

    strict = copy.deepcopy(current_schemas()["order.confirmed"])
    strict["payload"]["additionalProperties"] = False  # as release 0.1.0's consumers did
    extended = copy.deepcopy(strict)
    add(extended)
    extended["payload"].pop("additionalProperties")
    found = compare("order.confirmed", strict, extended, V)
    assert [(b.path, b.change, b.direction) for b in found] == [
        ("note", "new field (unknown fields are refused)", "forward")
    ]


def test_a_new_enum_value_is_fine_for_old_messages_not_for_old_consumers() -> None:
    found = changed("order.placed", lambda s: s["payload"]["$defs"]["Process"]["enum"].append("mjf"))
    assert [(b.path, b.change, b.direction) for b in found] == [
        ("lines[].process", "enum value 'mjf' added", "forward")
    ]


@pytest.mark.parametrize("direction", ["removed", "added"])
def test_a_removed_or_new_message_type_is_caught(direction: str) -> None:
    old, new = current_schemas(), current_schemas()
    (new if direction == "removed" else old).pop("order.cancelled")
    assert [(b.message_type, b.change) for b in compare_catalogues(old, new, V)] == [
        ("order.cancelled", "message type removed" if direction == "removed" else "new message type")
    ]


def test_the_current_catalogue_is_compatible_with_itself() -> None:
    assert compare_catalogues(current_schemas(), current_schemas(), V) == []
