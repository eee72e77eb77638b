"""MES's outgoing messages, as its real use cases put them in the outbox (in-memory MES, unit-test fakes)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from contracts.messages.providers import Producer
from system.kernel.auth import Principal
from system.kernel.messaging.catalogue import (
    CancellationRequested,
    Material,
    OrderConfirmed,
    OrderLine,
    OrderPlaced,
    PricingCompleted,
    PricingFailed,
    Process,
)
from system.kernel.messaging.envelope import Envelope
from system.mes import cancellation, pricing_flow, production
from tests.unit.mes.fakes import FakeMes, uow_factory


def incoming(payload: BaseModel, type_: str, producer: str, order_id: uuid.UUID) -> Envelope:
    """A message MES receives (the input of the scenario, not what is verified)."""
    return Envelope.wrap(payload, type=type_, producer=producer, correlation_id=str(order_id))


class Mes:
    """An in-memory MES driven through its real use cases, one order at a time."""

    def __init__(self) -> None:
        self.db = FakeMes()
        self.order_id = uuid.uuid4()
        self.operator = Principal(uuid.uuid4(), "operator")

    async def on(self, use_case: Callable[..., Awaitable[None]], payload: BaseModel, type_: str, by: str) -> None:
        async with uow_factory(self.db)() as tx:
            await use_case(tx, incoming(payload, type_, by, self.order_id), payload)

    async def placed(self, lines: int = 2) -> None:
        line: dict[str, Any] = {"sha256": "ab" * 32, "material": Material.PLA, "process": Process.FDM}
        placed = OrderPlaced(
            order_id=self.order_id, customer_id=uuid.uuid4(), customer_kind="b2b", contract_discount_pct=Decimal(5),
            lines=[
                OrderLine(line_id=uuid.uuid4(), file_id=uuid.uuid4(), quantity=2, lead_time_days=7, **line)
                for _ in range(lines)
            ],
        )  # fmt: skip
        await self.on(pricing_flow.order_placed, placed, "order.placed", "crm")

    async def priced(self, *, fail: bool = False) -> None:
        """Every pricing job answered (completed, or failed if `fail`)."""
        for job in list(self.db.pricing.rows.values()):
            ids = {"job_id": job.id, "order_id": self.order_id, "line_id": job.line_id}
            if fail:
                await self.on(pricing_flow.pricing_failed, PricingFailed(**ids, reason="not watertight"),
                              "pricing.failed", "pricing")  # fmt: skip
                continue
            done = PricingCompleted(**ids, unit_price=Decimal("4.20"), total_price=Decimal("8.40"), breakdown={})
            await self.on(pricing_flow.pricing_completed, done, "pricing.completed", "pricing")

    async def confirmed(self) -> None:
        await self.placed()
        await self.priced()
        await self.on(production.order_confirmed, OrderConfirmed(order_id=self.order_id), "order.confirmed", "crm")

    async def act(self, *actions: str) -> None:
        """The operator's actions on the order's production job."""
        job = next(iter(self.db.production.rows.values()))
        for action in actions:
            await production.act(self.operator, job.id, action, uow=uow_factory(self.db))

    async def cancellation_asked(self) -> None:
        asked = CancellationRequested(order_id=self.order_id, reason="ordered twice")
        await self.on(cancellation.cancellation_requested, asked, "order.cancellation_requested", "crm")

    def last(self, type_: str) -> Envelope:
        found: Envelope = self.db.of_type(type_)[-1]
        return found


def scenario(type_: str, *steps: Callable[[Mes], Awaitable[None]]) -> Producer:
    """A producer: run the steps on a fresh MES, then take the last `type_` message it published."""

    async def produce() -> Envelope:
        mes = Mes()
        for step in steps:
            await step(mes)
        return mes.last(type_)

    return produce


def acting(*actions: str) -> Callable[[Mes], Awaitable[None]]:
    async def step(mes: Mes) -> None:
        await mes.act(*actions)

    return step


async def _failed(mes: Mes) -> None:
    await mes.priced(fail=True)


PRODUCERS: dict[str, Producer] = {
    "pricing.requested": scenario("pricing.requested", Mes.placed),
    "order.priced": scenario("order.priced", Mes.placed, Mes.priced),
    "order.pricing_failed": scenario("order.pricing_failed", Mes.placed, _failed),
    "order.cancellation_accepted": scenario("order.cancellation_accepted", Mes.confirmed, Mes.cancellation_asked),
    "order.cancellation_refused": scenario(
        "order.cancellation_refused", Mes.confirmed, acting("start"), Mes.cancellation_asked
    ),
    "production.started": scenario("production.started", Mes.confirmed, acting("start")),
    "production.completed": scenario("production.completed", Mes.confirmed, acting("start", "complete")),
    "production.qc_failed": scenario("production.qc_failed", Mes.confirmed, acting("start", "complete", "qc-fail")),
    "production.shipped": scenario("production.shipped", Mes.confirmed, acting("start", "complete", "qc-pass", "ship")),
}
