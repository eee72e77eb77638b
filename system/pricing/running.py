"""The jobs a worker is running, by order: a cancelled order's job is stopped, a job of an order already
cancelled is not started."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from system.pricing.lru import Lru

log = logging.getLogger(__name__)
REMEMBERED = 4096  # cancelled orders kept in mind: their queued jobs may come much later


class RunningJobs:
    """Order id -> the task pricing it; and the orders recently cancelled."""

    def __init__(self) -> None:
        self._tasks: dict[uuid.UUID, asyncio.Future[Any]] = {}
        self._cancelled: Lru[uuid.UUID, bool] = Lru(REMEMBERED)

    @contextmanager
    def running(self, order_id: uuid.UUID, task: asyncio.Future[Any]) -> Iterator[None]:
        """Register `task` as the job of `order_id` while the block runs."""
        self._tasks[order_id] = task
        try:
            yield
        finally:
            self._tasks.pop(order_id, None)

    def cancel(self, order_id: uuid.UUID) -> None:
        """The order was cancelled: stop its job if one runs here, and remember it for jobs still to come."""
        self._cancelled.put(order_id, True)
        task = self._tasks.get(order_id)
        if task is not None and not task.done():
            log.info("pricing job stopped: its order was cancelled", extra={"order_id": str(order_id)})
            task.cancel()

    def cancelled(self, order_id: uuid.UUID) -> bool:
        """Whether this worker heard that the order was cancelled."""
        return self._cancelled.get(order_id) is not None
