"""Dead-letter queues: list and inspect what ended there and why, replay it to its work queue."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from system.kernel.messaging.consumer import (
    ATTEMPT_HEADER,
    REASON_HEADER,
    WAITED_HEADER,
    attempts_so_far,
    headers_of,
)
from system.kernel.messaging.publisher import Publisher

DROPPED_ON_REPLAY = (
    ATTEMPT_HEADER,
    WAITED_HEADER,
    REASON_HEADER,
    "x-last-error",
    "x-death",
    "x-first-death-exchange",
    "x-first-death-queue",
    "x-first-death-reason",
    "x-delivery-count",
)


@dataclass(frozen=True)
class DeadLetter:
    """One message in a DLQ, with the reason it is there."""

    message_id: str
    type: str
    reason: str
    original_queue: str
    attempts: int
    body: bytes

    @property
    def correlation_id(self) -> str:
        """The envelope's correlation id (its order), or "" for a body that is not JSON carrying one."""
        try:
            body = json.loads(self.body)
        except ValueError:  # not JSON, or not UTF-8: a message that was dead-lettered as undecodable
            return ""
        found = body.get("correlation_id") if isinstance(body, dict) else None
        return found if isinstance(found, str) else ""

    def as_dict(self) -> dict[str, Any]:
        try:
            body: Any = json.loads(self.body)
        except ValueError:
            body = self.body[:200].decode(errors="replace")
        return {
            "message_id": self.message_id,
            "type": self.type,
            "reason": self.reason,
            "original_queue": self.original_queue,
            "attempts": self.attempts,
            "body": body,
        }


def describe(message: AbstractIncomingMessage, dlq: str) -> DeadLetter:
    """Read the reason from our header, or from the broker's x-death record (e.g. delivery limit)."""
    headers = headers_of(message)
    reason = headers.get(REASON_HEADER)
    if reason is None and headers.get("x-death"):
        death = headers["x-death"][0]
        reason = f"broker dead-lettered: {death.get('reason')} from {death.get('queue')}"
    original = str(headers.get("x-original-queue") or dlq.removesuffix(".dlq"))
    return DeadLetter(
        message_id=message.message_id or "",
        type=message.type or "",
        reason=str(reason or "unknown"),
        original_queue=original,
        attempts=attempts_so_far(message) + 1,
        body=message.body,
    )


async def _drain(
    url: str, dlq: str, limit: int
) -> tuple[aio_pika.abc.AbstractConnection, list[AbstractIncomingMessage]]:
    connection = await aio_pika.connect(url, timeout=10)
    messages: list[AbstractIncomingMessage] = []
    try:
        channel = await connection.channel()
        queue = await channel.get_queue(dlq, ensure=True)
        while len(messages) < limit:
            message = await queue.get(no_ack=False, fail=False, timeout=5)
            if message is None:
                break
            messages.append(message)
    except BaseException:  # a missing queue or a lost node: the caller never gets the connection to close
        await connection.close()
        raise
    return connection, messages


async def list_dead_letters(url: str, dlq: str, limit: int = 100) -> list[DeadLetter]:
    """The first `limit` messages of `dlq`, left in place."""
    connection, messages = await _drain(url, dlq, limit)
    try:
        return [describe(m, dlq) for m in messages]
    finally:
        await connection.close()  # unacked messages go back to the DLQ


async def replay(url: str, dlq: str, message_ids: set[str] | None = None, limit: int = 10_000) -> int:
    """Republish (with confirms) the chosen messages (all if None) to their queue; return how many."""
    connection, messages = await _drain(url, dlq, limit)
    publisher = Publisher(url)
    replayed = 0
    try:
        for message in messages:
            if message_ids is not None and message.message_id not in message_ids:
                continue
            letter = describe(message, dlq)
            headers = {k: v for k, v in headers_of(message).items() if k not in DROPPED_ON_REPLAY}
            await publisher.publish(
                "",
                letter.original_queue,
                message.body,
                message_id=letter.message_id,
                message_type=letter.type,
                headers=headers,
            )
            await message.ack()
            replayed += 1
    finally:
        await publisher.close()
        await connection.close()
    return replayed
