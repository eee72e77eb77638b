"""The JSON Schema of every message type, from the catalogue's pydantic models: envelope and payload."""

from __future__ import annotations

from typing import Any

from system.kernel.messaging.catalogue import CATALOGUE
from system.kernel.messaging.envelope import Envelope

Schema = dict[str, Any]


def message_schema(type_: str) -> Schema:
    """One message type as it travels: the envelope's schema and its payload's."""
    return {
        "message_type": type_,
        "envelope": Envelope.model_json_schema(),
        "payload": CATALOGUE[type_].model.model_json_schema(),
    }


def current_schemas() -> dict[str, Schema]:
    """Every catalogue type's schema, by type."""
    return {type_: message_schema(type_) for type_ in sorted(CATALOGUE)}
