"""Publishing with publisher confirms, persistent messages and bounded waits."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

import aio_pika
import aiormq
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractRobustConnection
from prometheus_client import Counter
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

log = logging.getLogger(__name__)

PUBLISHED = Counter("messages_published_total", "Messages confirmed by the broker", ["exchange", "type"])
PUBLISH_FAILURES = Counter("messages_publish_failures_total", "Publishes not confirmed", ["exchange"])

# What a lost node or connection looks like to a publisher: worth another try.
TRANSIENT = (
    asyncio.TimeoutError,
    aio_pika.exceptions.AMQPError,
    aiormq.exceptions.AMQPError,
    ConnectionError,
    RuntimeError,
)


class MessagePublisher(Protocol):
    """Anything that publishes with confirms (the real Publisher, or a fake in unit tests)."""

    async def publish(
        self,
        exchange: str,
        routing_key: str,
        body: bytes,
        *,
        message_id: str,
        message_type: str,
        headers: dict[str, Any] | None = None,
    ) -> None: ...


class PublishFailed(RuntimeError):
    """The broker did not confirm a message within the attempts allowed."""


class Publisher:
    """One robust connection and one confirm channel; `publish` returns only once the broker confirmed."""

    def __init__(self, url: str, *, timeout: float = 5.0, attempts: int = 3) -> None:
        self.url = url
        self.timeout = timeout
        self.attempts = attempts
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchanges: dict[str, AbstractExchange] = {}

    async def connect(self) -> None:
        """Open the connection and the confirm channel (idempotent)."""
        if self._channel is None:
            self._connection = await aio_pika.connect_robust(self.url, timeout=self.timeout)
            self._channel = await self._connection.channel(publisher_confirms=True)

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
        self._connection = self._channel = None
        self._exchanges.clear()

    async def _exchange(self, name: str) -> AbstractExchange:
        await self.connect()
        assert self._channel is not None
        if name == "":
            return self._channel.default_exchange
        if name not in self._exchanges:
            self._exchanges[name] = await self._channel.get_exchange(name, ensure=False)
        return self._exchanges[name]

    async def publish_once(
        self,
        exchange: str,
        routing_key: str,
        body: bytes,
        *,
        message_id: str,
        message_type: str,
        headers: dict[str, Any] | None = None,
    ) -> None:
        """One attempt: send and wait (bounded) for the confirm; unroutable raises PublishError."""
        message = aio_pika.Message(
            body,
            message_id=message_id,
            type=message_type,
            headers=headers or {},
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        target = await self._exchange(exchange)
        await asyncio.wait_for(
            target.publish(message, routing_key, mandatory=True, timeout=self.timeout), timeout=self.timeout + 1
        )
        PUBLISHED.labels(exchange or "(default)", message_type).inc()

    async def publish(
        self,
        exchange: str,
        routing_key: str,
        body: bytes,
        *,
        message_id: str,
        message_type: str,
        headers: dict[str, Any] | None = None,
    ) -> None:
        """Publish with retries on transient failures; PublishFailed after the last attempt."""
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.attempts),
                wait=wait_exponential(multiplier=0.2, max=2),
                retry=retry_if_exception_type(TRANSIENT),
                reraise=True,
            ):
                with attempt:
                    await self.publish_once(
                        exchange, routing_key, body, message_id=message_id, message_type=message_type, headers=headers
                    )
        except TRANSIENT as exc:
            PUBLISH_FAILURES.labels(exchange or "(default)").inc()
            raise PublishFailed(f"{message_type} {message_id} to {exchange!r}: {exc!r}") from exc
