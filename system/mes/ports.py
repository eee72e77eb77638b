"""What the MES's use cases need from the outside world (SQL adapters in production, fakes in unit tests)."""

from __future__ import annotations

import uuid
from contextlib import AbstractAsyncContextManager
from typing import Protocol, TypeVar

from system.kernel.messaging.envelope import Envelope
from system.mes.domain import MesOrder, PricingJob, ProductionJob

T = TypeVar("T", MesOrder, PricingJob, ProductionJob)


class Rows(Protocol[T]):
    async def get(self, id_: uuid.UUID, *, for_update: bool = False) -> T | None: ...
    async def for_order(self, order_id: uuid.UUID, *, for_update: bool = False) -> list[T]: ...
    async def in_state(self, state: str | None) -> list[T]: ...
    async def add(self, *entities: T) -> None: ...
    async def save(self, entity: T) -> None: ...


class UnitOfWork(Protocol):
    """One transaction: the MES's rows plus `publish` into the outbox."""

    @property
    def orders(self) -> Rows[MesOrder]: ...
    @property
    def pricing(self) -> Rows[PricingJob]: ...
    @property
    def production(self) -> Rows[ProductionJob]: ...

    async def publish(self, *envelopes: Envelope) -> None: ...


class UowFactory(Protocol):
    def __call__(self) -> AbstractAsyncContextManager[UnitOfWork]: ...
