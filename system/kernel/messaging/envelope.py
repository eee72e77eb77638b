"""The envelope every message travels in (DESIGN.md §3): ids for de-duplication and tracing, a typed payload."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class UndecodableMessage(ValueError):
    """A body that is not a valid envelope or whose payload breaks its schema: never retried."""


class Envelope(BaseModel):
    """Metadata and payload of one message; `message_id` is the de-duplication key."""

    model_config = ConfigDict(frozen=True, extra="ignore")  # tolerant reader, as the payloads (catalogue.py)

    message_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    schema_version: int = 1
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    producer: str
    correlation_id: str
    causation_id: uuid.UUID | None = None
    payload: dict[str, Any]

    @classmethod
    def wrap(
        cls, payload: BaseModel, *, type: str, producer: str, correlation_id: str, causation_id: uuid.UUID | None = None
    ) -> Envelope:
        """A new envelope (fresh message_id) around a payload model."""
        return cls(
            type=type,
            producer=producer,
            correlation_id=correlation_id,
            causation_id=causation_id,
            payload=payload.model_dump(mode="json"),
        )

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, body: bytes) -> Envelope:
        """Parse a body; raise UndecodableMessage with the reason if it is not an envelope."""
        try:
            return cls.model_validate_json(body)
        except ValidationError as exc:
            raise UndecodableMessage(f"invalid envelope: {_first_error(exc)}") from exc


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "body"
    return f"{where}: {err['msg']}"


def parse_payload(envelope: Envelope, model: type[BaseModel]) -> BaseModel:
    """Validate the envelope's payload against `model`; UndecodableMessage on a schema violation."""
    try:
        return model.model_validate(envelope.payload)
    except ValidationError as exc:
        raise UndecodableMessage(f"{envelope.type} payload {_first_error(exc)}") from exc
