"""Where message pacts are written and read, and the envelope every message pact shares."""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from pact import Pact, match
from pact.error import PactVerificationError

from contracts.messages.consumers.reading import Consume

CONTRACTS = Path(__file__).resolve().parent.parent
COMMITTED = CONTRACTS / "pacts"  # the committed pacts: http/ and messages/
KIND = "messages"
_written: set[str] = set()  # pact files this process has started afresh


@cache
def _session_dir() -> Path:
    # Never the committed folder by default: the drift test regenerates into a temp dir and compares.
    folder = Path(tempfile.mkdtemp(prefix="pacts-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def pact_root() -> Path:
    """$PACT_DIR, or a temporary folder of this process."""
    return Path(os.environ["PACT_DIR"]) if os.environ.get("PACT_DIR") else _session_dir()


def messages_dir(root: Path | None = None) -> Path:
    """The message pacts under a pact root (the committed one, a release's, or this session's)."""
    return (root or pact_root()) / KIND


def message_pact(consumer: str, provider: str) -> Pact:
    """A V4 pact between a consuming service and the service that produces the messages."""
    return Pact(consumer, provider).with_specification("V4")


def record(pact: Pact) -> None:
    """Write the pact's interactions to `<consumer>-<provider>.json`, replacing what an earlier run left there."""
    name = f"{pact.consumer}-{pact.provider}"
    pact.write_file(messages_dir(), overwrite=name not in _written)  # later tests merge into the file
    _written.add(name)


def envelope(type_: str, producer: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The envelope fields a consumer reads: its id (de-duplication), type (dispatch), producer and order."""
    return {
        "message_id": match.uuid("6f1c9d2e-8a41-4b7c-9e55-0c3a7d1b2f60"),
        "type": type_,  # literally: the consumer dispatches on it
        "producer": match.like(producer),
        "correlation_id": match.like("4a7e3c10-5b2d-4e8f-a1c6-9d0b2e7f3a15"),
        "payload": payload,
    }


def expect(consumer: str, provider: str, type_: str, payload: dict[str, Any]) -> Pact:
    """A pact with one asynchronous message, described by its type: what `consumer` reads of it."""
    pact = message_pact(consumer, provider)
    body = envelope(type_, provider, payload)
    pact.upon_receiving(type_, "Async").with_body(body, content_type="application/json")
    return pact


def feed(pact: Pact, consume: Consume) -> None:
    """Feed every message of the pact to the consumer's real handling; AssertionError naming each it cannot use."""
    try:
        pact.verify(lambda body, _metadata: asyncio.run(consume(body)), "Async")
    except PactVerificationError as exc:  # its own text is only a count: say which message failed, and why
        raise AssertionError("\n".join(f"{e.description}: {e.error!r}" for e in exc.errors)) from exc


def check(pact: Pact, consume: Consume) -> None:
    """The consumer test: feed the pact's messages to the consumer, then record the pact."""
    feed(pact, consume)
    record(pact)
