"""Verify message pacts: the Pact verifier asks for each described message, the producer's real code builds it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pact import Verifier
from pact.types import Message

from contracts.broker import source
from contracts.messages.providers import Producer, crm_produces, mes_produces, pricing_produces

PRODUCERS: dict[str, dict[str, Producer]] = {
    "crm": crm_produces.PRODUCERS,
    "mes": mes_produces.PRODUCERS,
    "pricing": pricing_produces.PRODUCERS,
}


@dataclass(frozen=True)
class Verdict:
    """The verifier's answer for one pact file: passed or not, and its report (what differs, where)."""

    pact: Path
    passed: bool
    output: str


def as_message(produce: Producer) -> Callable[[], Message]:
    """The verifier's message callback: the envelope exactly as the outbox stores and the relay sends it."""

    def message() -> Message:
        envelope = asyncio.run(produce())  # the verifier calls from its own thread: a loop of its own
        return Message(contents=envelope.to_bytes(), metadata=None, content_type="application/json")

    return message


def provider_of(pact: Path) -> str:
    name: str = json.loads(pact.read_text())["provider"]["name"]
    return name


def verify(pact: Path, producers: dict[str, Producer] | None = None) -> Verdict:
    """Replay every message of `pact` against its provider's producers (by default the real ones)."""
    chosen = producers if producers is not None else PRODUCERS[provider_of(pact)]
    handlers: dict[str, Callable[..., Message] | Message | bytes] = {d: as_message(p) for d, p in chosen.items()}
    verifier = source(Verifier(provider_of(pact)).message_handler(handlers), pact)
    try:
        verifier.verify()
    except RuntimeError:
        return Verdict(pact, False, verifier.output(strip_ansi=True))
    return Verdict(pact, True, verifier.output(strip_ansi=True))
