"""Example messages from a release's JSON Schemas: what its producers could have sent, for today's consumers.

Deterministic, so a failure is reproducible: one message with only the required fields, one with every field,
and as many as it takes for every enum value to appear once.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from hypothesis import find
from hypothesis import strategies as st

from contracts.messages.schemas import Schema

FIXED = {"uuid": "3f2a8c1e-7b4d-4e6f-9a0b-1c2d3e4f5a6b", "date-time": "2026-11-29T12:00:00Z"}


def samples(message: Schema) -> list[tuple[str, bytes]]:
    """(what it is, body) of example messages of one type, from its release's envelope and payload schemas."""
    found = []
    for full in (False, True):
        for variant in range(_widest_enum(message["payload"])):
            payload = _Maker(message["payload"], full, variant).value(message["payload"])
            envelope = _Maker(message["envelope"], full, variant).value(message["envelope"])
            body = {**envelope, "type": message["message_type"], "payload": payload}
            what = f"{'every field' if full else 'required fields only'}, variant {variant}"
            found.append((what, json.dumps(body).encode()))
    return found


def _widest_enum(doc: Schema) -> int:
    return max([len(d.get("enum", [])) for d in doc.get("$defs", {}).values()] + [1])


@cache
def _matching(pattern: str) -> str:
    """The simplest string matching `pattern` (Hypothesis shrinks to it)."""
    found: str = find(st.from_regex(pattern, fullmatch=True), lambda _: True)
    return found


class _Maker:
    def __init__(self, doc: Schema, full: bool, variant: int) -> None:
        self.doc, self.full, self.variant = doc, full, variant

    def value(self, node: Schema) -> Any:
        while "$ref" in node:
            node = self.doc["$defs"][node["$ref"].rsplit("/", 1)[-1]]
        if "anyOf" in node:  # the first alternative: a number for a Decimal, the value for an Optional
            return self.value(node["anyOf"][0])
        if "enum" in node:
            return node["enum"][self.variant % len(node["enum"])]
        kind = node.get("type", "string")
        return getattr(self, f"_{kind}")(node)

    def _object(self, node: Schema) -> dict[str, Any]:
        required = set(node.get("required", []))
        fields = node.get("properties", {})
        made = {k: self.value(v) for k, v in fields.items() if self.full or k in required}
        extra = node.get("additionalProperties")
        if not fields and isinstance(extra, dict):
            made["key"] = self.value(extra)
        return made

    def _array(self, node: Schema) -> list[Any]:
        return [self.value(node.get("items", {})) for _ in range(max(node.get("minItems", 0), 1))]

    def _string(self, node: Schema) -> str:
        if "format" in node:
            return FIXED.get(node["format"], "x")
        if "pattern" in node:
            return _matching(node["pattern"])
        return "x" * max(int(node.get("minLength", 1)), 1)

    def _integer(self, node: Schema) -> int:
        return int(node.get("minimum", 1))

    def _number(self, node: Schema) -> float:
        return float(node.get("minimum", 1))

    def _boolean(self, node: Schema) -> bool:
        return self.full

    def _null(self, node: Schema) -> None:
        return None
