"""Hearing that an order was cancelled: each worker binds its own transient queue to the CRM's `order.cancelled`.

A cancellation is a broadcast fact: every worker must hear it, and only a worker running (or about to run) that
order's job acts on it. So the queue is exclusive, server-named and deleted with the connection (a classic
queue: it holds nothing worth keeping). A worker that was not listening at that moment only prices a line whose
result MES then ignores, because MES stops the order's jobs itself on the same event.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection

from system.kernel.messaging.catalogue import OrderCancelled, decode, route

log = logging.getLogger(__name__)
MESSAGE_TYPE = "order.cancelled"


async def listen(url: str, on_cancelled: Callable[[uuid.UUID], None]) -> AbstractRobustConnection:
    """Call `on_cancelled(order id)` for every order cancelled from now on; close the connection to stop."""
    connection = await aio_pika.connect_robust(url)
    channel = await connection.channel()
    queue = await channel.declare_queue("", exclusive=True, auto_delete=True, durable=False)
    await queue.bind(route(MESSAGE_TYPE).exchange, MESSAGE_TYPE)

    async def heard(message: AbstractIncomingMessage) -> None:
        try:
            _, payload = decode(message.body)
        except Exception as exc:  # not ours to dead-letter: the MES queue gets the same message and judges it
            log.warning("unreadable cancellation ignored: %r", exc)
            return
        if isinstance(payload, OrderCancelled):
            on_cancelled(payload.order_id)

    await queue.consume(heard, no_ack=True)
    return connection
