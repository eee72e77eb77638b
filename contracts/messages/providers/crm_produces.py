"""The CRM's outgoing messages, as its real use cases put them in the outbox (in-memory CRM, unit-test fakes)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from contracts.messages.providers import Producer
from system.crm import service
from system.crm.domain import Account, State
from system.kernel.auth import Principal
from system.kernel.messaging.catalogue import Material, Process
from system.kernel.messaging.envelope import Envelope
from tests.unit.crm.fakes import FakeCrm, FakeFiles, crm_with, uow_factory


class Crm:
    """One B2B customer with an uploaded model, in an in-memory CRM."""

    def __init__(self) -> None:
        account = Account(uuid.uuid4(), "buyer@example.com", "Buyer", "customer", "b2b", Decimal("12.5"))
        self.db: FakeCrm = crm_with(account)
        self.files = FakeFiles()
        self.customer = Principal(account.id, "customer")
        self.file_id = self.files.add(owner=account.id)

    async def place(self) -> uuid.UUID:
        """Place a two-line order through the real use case; its id."""
        lines = [
            service.LineRequest(self.file_id, Material.PETG, Process.FDM, 3, 7),
            service.LineRequest(self.file_id, Material.RESIN, Process.SLA, 1, 14),
        ]
        order, _ = await service.place_order(
            self.customer, lines, idempotency_key=None, uow=uow_factory(self.db), files=self.files
        )
        return order.id

    def at(self, order_id: uuid.UUID, state: State) -> None:
        """The provider state: the order has reached `state` (MES's events brought it there)."""
        self.db.orders.rows[order_id].state = state

    def last(self, type_: str) -> Envelope:
        return self.db.of_type(type_)[-1]


async def order_placed() -> Envelope:
    crm = Crm()
    await crm.place()
    return crm.last("order.placed")


async def order_confirmed() -> Envelope:
    crm = Crm()
    order_id = await crm.place()
    crm.at(order_id, State.QUOTED)
    await service.confirm(crm.customer, order_id, uow=uow_factory(crm.db))
    return crm.last("order.confirmed")


async def order_cancelled() -> Envelope:
    crm = Crm()
    order_id = await crm.place()
    await service.cancel(crm.customer, order_id, "changed my mind", uow=uow_factory(crm.db))
    return crm.last("order.cancelled")


async def cancellation_requested() -> Envelope:
    crm = Crm()
    order_id = await crm.place()
    crm.at(order_id, State.CONFIRMED)
    await service.cancel(crm.customer, order_id, "ordered twice", uow=uow_factory(crm.db))
    return crm.last("order.cancellation_requested")


PRODUCERS: dict[str, Producer] = {
    "order.placed": order_placed,
    "order.confirmed": order_confirmed,
    "order.cancelled": order_cancelled,
    "order.cancellation_requested": cancellation_requested,
}
