"""The real parse step every consumer runs first, and running a use case in one fake transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from pydantic import BaseModel

from system.kernel.messaging.catalogue import decode
from system.kernel.messaging.envelope import Envelope, parse_payload

M = TypeVar("M", bound=BaseModel)
Reader = Callable[[Envelope, Any], Awaitable[None]]
Consume = Callable[[str | bytes | None], Coroutine[Any, Any, None]]


def parse(body: str | bytes | None) -> tuple[Envelope, BaseModel]:
    """The envelope and its validated payload, exactly as the kernel Consumer decodes a delivery."""
    raw = body.encode() if isinstance(body, str) else body or b""
    return decode(raw)


def dispatcher(readers: dict[str, Reader]) -> Consume:
    """A service's handling of one message body: decode it, hand it to the reader of its type.

    A parse error, an AssertionError of the reader, or KeyError for a type this service does not consume.
    """

    async def consume(body: str | bytes | None) -> None:
        envelope, payload = parse(body)
        await readers[envelope.type](envelope, payload)

    return consume


async def in_transaction(uow: Callable[[], Any], use_case: Callable[..., Awaitable[None]], *args: Any) -> None:
    """Run an event use case inside one unit of work, as the service's consumer handler does."""
    async with uow() as tx:
        await use_case(tx, *args)


def read(envelope: Envelope, model: type[M]) -> M:
    """The payload of a message a use case published, as its reader parses it."""
    payload = parse_payload(envelope, model)
    assert isinstance(payload, model)
    return payload
