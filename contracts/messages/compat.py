"""Is a message schema change safe while the previous release still runs? Compare its JSON Schemas with ours.

Two directions, because a rolling deploy runs both releases at once:
- backward: messages of the previous release (already in queues, or sent by its still-running producers) must
  be accepted by this release's consumers: no new required field, no removed field where unknown fields are
  refused, no retyped field, no removed enum value, no narrower bound or pattern;
- forward: this release's messages must be accepted by the previous release's consumers: no removed required
  field, no new field where they refuse unknown fields (release 0.1.0 did; since then the contracts ignore
  them), no new enum value, no wider bound, no new message type on their queues.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from contracts.messages.schemas import Schema

Direction = Literal["backward", "forward"]
CONSEQUENCE: dict[Direction, str] = {
    "backward": "messages already in queues or produced by {v} would be rejected",
    "forward": "consumers of {v}, still running during a rolling deploy, would reject this release's messages",
}
LOWER = ("minimum", "exclusiveMinimum", "minLength", "minItems")  # a larger value is narrower
UPPER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems")  # a smaller value is narrower


@dataclass(frozen=True)
class Breakage:
    """One incompatible change of one field of one message type."""

    message_type: str
    path: str
    change: str
    version: str
    direction: Direction

    def __str__(self) -> str:
        where = f"field {self.path}: " if self.path else ""
        why = CONSEQUENCE[self.direction].format(v=self.version)
        return f"{self.message_type}: {where}{self.change} since release {self.version} — {why}"


def compare_catalogues(old: dict[str, Schema], new: dict[str, Schema], version: str) -> list[Breakage]:
    """Every breaking change between the previous release's message schemas (`old`) and this release's."""
    found = [Breakage(t, "", "message type removed", version, "backward") for t in sorted(old.keys() - new.keys())]
    found += [Breakage(t, "", "new message type", version, "forward") for t in sorted(new.keys() - old.keys())]
    for type_ in sorted(old.keys() & new.keys()):
        found += compare(type_, old[type_], new[type_], version)
    return found


def compare(message_type: str, old: Schema, new: Schema, version: str) -> list[Breakage]:
    """The breaking changes of one message type: its envelope (fields `envelope.*`) and its payload."""
    found: list[Breakage] = []
    for part, prefix in (("envelope", "envelope"), ("payload", "")):
        walk = _Walk(message_type, version, old[part], new[part], found)
        walk.node(prefix, old[part], new[part])
    return found


@dataclass
class _Walk:
    message_type: str
    version: str
    old_doc: Schema
    new_doc: Schema
    found: list[Breakage] = field(default_factory=list)

    def breaks(self, direction: Direction, path: str, change: str) -> None:
        self.found.append(Breakage(self.message_type, path, change, self.version, direction))

    def node(self, path: str, old: Schema, new: Schema) -> None:
        olds, news = _alternatives(self.old_doc, old), _alternatives(self.new_doc, new)
        self.kinds(path, olds, news)
        self.enums(path, olds, news)
        for old_one, new_one in _pairs(olds, news):
            self.bounds(path, old_one, new_one)
            if "properties" in old_one and "properties" in new_one:
                self.fields(path, old_one, new_one)
            for key, mark in (("items", "[]"), ("additionalProperties", "{}")):
                if isinstance(old_one.get(key), dict) and isinstance(new_one.get(key), dict):
                    self.node(path + mark, old_one[key], new_one[key])

    def kinds(self, path: str, olds: list[Schema], news: list[Schema]) -> None:
        old, new = _kinds(olds), _kinds(news)
        if "any" not in new and old - new:
            self.breaks("backward", path, f"retyped from {_show(old)} to {_show(new)}")
        if "any" not in old and new - old:
            self.breaks("forward", path, f"retyped from {_show(old)} to {_show(new)}")

    def enums(self, path: str, olds: list[Schema], news: list[Schema]) -> None:
        old, new = _enum(olds), _enum(news)
        for value in sorted(old - new if new else set(), key=str):
            self.breaks("backward", path, f"enum value {value!r} removed")
        for value in sorted(new - old if old else set(), key=str):
            self.breaks("forward", path, f"enum value {value!r} added")

    def bounds(self, path: str, old: Schema, new: Schema) -> None:
        for key in LOWER + UPPER:
            before, after = old.get(key), new.get(key)
            if before == after:
                continue
            narrower = after is not None and (before is None or (after > before) == (key in LOWER))
            self.breaks("backward" if narrower else "forward", path, f"{key} {before} -> {after}")
        if new.get("pattern") not in (None, old.get("pattern")):
            self.breaks("backward", path, f"must now match {new['pattern']!r}")
        if old.get("pattern") not in (None, new.get("pattern")):
            self.breaks("forward", path, f"no longer has to match {old['pattern']!r}")

    def fields(self, path: str, old: Schema, new: Schema) -> None:
        before, after = old["properties"], new["properties"]
        old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
        for name in sorted(after.keys() - before.keys()):
            if name in new_required:
                self.breaks("backward", _join(path, name), "new required field")
            if old.get("additionalProperties") is False:
                self.breaks("forward", _join(path, name), "new field (unknown fields are refused)")
        for name in sorted(before.keys() - after.keys()):
            if new.get("additionalProperties") is False:
                self.breaks("backward", _join(path, name), "field removed or renamed (unknown fields are refused)")
            if name in old_required:
                self.breaks("forward", _join(path, name), "required field removed or renamed")
        for name in sorted(before.keys() & after.keys()):
            if name in new_required - old_required:
                self.breaks("backward", _join(path, name), "optional field became required")
            # An optional field that stopped being required is still sent: producers dump every field.
            self.node(_join(path, name), before[name], after[name])


def _resolve(doc: Schema, node: Schema) -> Schema:
    while "$ref" in node:
        node = doc["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _alternatives(doc: Schema, node: Schema) -> list[Schema]:
    node = _resolve(doc, node)
    return [_resolve(doc, alt) for alt in node["anyOf"]] if "anyOf" in node else [node]


def _kind(alt: Schema) -> set[str]:
    types = alt.get("type")
    if types is None:
        return {"any"}
    fmt = f"({alt['format']})" if "format" in alt else ""
    return {f"{t}{fmt}" for t in (types if isinstance(types, list) else [types])}


def _kinds(alts: list[Schema]) -> set[str]:
    return set().union(*(_kind(a) for a in alts))


def _enum(alts: list[Schema]) -> set[Any]:
    return {v for a in alts for v in a.get("enum", [])}


def _pairs(olds: list[Schema], news: list[Schema]) -> list[tuple[Schema, Schema]]:
    """Alternatives of the same kind, compared with each other (`anyOf: [uuid, null]` keeps its uuid)."""
    return [(o, n) for o in olds for n in news if _kind(o) == _kind(n) and o.get("type") != "null"]


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _show(kinds: set[str]) -> str:
    return " | ".join(sorted(kinds)) or "nothing"
