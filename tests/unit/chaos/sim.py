"""A whole order flow in memory, to prove the history checker catches real faults (issue 8, point 3).

The real CRM and MES use cases run on their in-memory fakes, joined by a small broker: at-least-once delivery
(every message is delivered twice), an inbox per consumer, RetryLater re-queues, PermanentError dead-letters.
The faults are toggles of this harness only, never of production code:
- `ack_before_commit`: the consumer acks a message, then crashes before its transaction commits (lost);
- `bypass_inbox`: consumers skip their inbox, and MES's confirmation handler is one that relies on the inbox
  alone (no guard of its own), as the old system's did (duplicated);
- `one_sided_cancel`: the CRM cancels a confirmed order on its own, as before the cancellation saga
  (disagreeing).
"""

from __future__ import annotations

import uuid
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from chaos.checker import Observed
from system.agreement import mes_state
from system.crm import service, tracking
from system.crm.domain import Account, State
from system.kernel.auth import Principal
from system.kernel.messaging.catalogue import CATALOGUE, Material, PricingCompleted, Process
from system.kernel.messaging.consumer import PermanentError, RetryLater
from system.kernel.messaging.envelope import Envelope
from system.mes import cancellation, pricing_flow, production
from system.mes.domain import ProductionJob
from tests.unit.crm.fakes import FakeFiles, crm_with
from tests.unit.crm.fakes import uow_factory as crm_uow
from tests.unit.mes.fakes import FakeMes
from tests.unit.mes.fakes import uow_factory as mes_uow

CUSTOMER = Account(uuid.uuid4(), "ada@example.com", "Ada", "customer", "b2c")
OPERATOR = Principal(uuid.uuid4(), "operator")


@dataclass
class Toggles:
    ack_before_commit: set[str] = field(default_factory=set)  # message types whose first delivery is lost
    bypass_inbox: bool = False
    one_sided_cancel: bool = False


async def naive_confirm(tx: Any, envelope: Envelope, payload: Any) -> None:
    """A confirmation handler that trusts the inbox to de-duplicate (no stage guard): one job per delivery."""
    order = await tx.orders.get(payload.order_id, for_update=True)
    await tx.production.add(ProductionJob(id=uuid.uuid4(), order_id=order.id, lines=order.lines))


class Sim:
    def __init__(self, toggles: Toggles) -> None:
        self.toggles = toggles
        self.crm, self.mes, self.files = crm_with(CUSTOMER), FakeMes(), FakeFiles()
        self.sent = {"crm": 0, "mes": 0}
        self.queue: deque[tuple[str, Envelope, int]] = deque()
        self.inbox: dict[str, set[uuid.UUID]] = {"crm": set(), "mes": set()}
        self.dead: list[Envelope] = []
        confirm = naive_confirm if toggles.bypass_inbox else production.order_confirmed
        self.handlers: dict[str, tuple[str, Any]] = {
            "order.placed": ("mes", pricing_flow.order_placed),
            "order.confirmed": ("mes", confirm),
            "order.cancelled": ("mes", cancellation.order_cancelled),
            "order.cancellation_requested": ("mes", cancellation.cancellation_requested),
            "pricing.requested": ("pricing", self._price),
            "pricing.completed": ("mes", pricing_flow.pricing_completed),
            "order.priced": ("crm", tracking.order_priced),
            "order.cancellation_accepted": ("crm", tracking.cancellation_accepted),
            "order.cancellation_refused": ("crm", tracking.cancellation_refused),
            **{t: ("crm", tracking.production_event) for t in tracking.PRODUCTION_STATES},
        }

    async def place(self) -> str:
        line = service.LineRequest(self.files.add(owner=CUSTOMER.id), Material.PLA, Process.FDM, 1, 7)
        me = Principal(CUSTOMER.id, "customer")
        order, _ = await service.place_order(me, [line], idempotency_key=None, uow=crm_uow(self.crm), files=self.files)
        await self.pump()
        return str(order.id)

    async def confirm(self, order_id: str) -> None:
        await service.confirm(Principal(CUSTOMER.id, "customer"), uuid.UUID(order_id), uow=crm_uow(self.crm))
        await self.pump()

    async def cancel(self, order_id: str) -> None:
        oid = uuid.UUID(order_id)
        if self.toggles.one_sided_cancel:  # the old way: the CRM decides alone, MES hears nothing it can refuse
            async with crm_uow(self.crm)() as tx:
                order = await tx.orders.get(oid, for_update=True)
                order.state = State.CANCELLED
                await tx.orders.save(order)
        else:
            await service.cancel(Principal(CUSTOMER.id, "customer"), oid, "", uow=crm_uow(self.crm))
        await self.pump()

    async def operate(self, order_id: str, actions: list[str]) -> None:
        jobs = [j for j in self.mes.production.rows.values() if str(j.order_id) == order_id]
        for action in actions:
            await production.act(OPERATOR, jobs[0].id, action, uow=mes_uow(self.mes))
            await self.pump()

    async def deliver(self, order_id: str) -> None:
        await service.deliver(Principal(uuid.uuid4(), "operator"), uuid.UUID(order_id), uow=crm_uow(self.crm))

    async def pump(self) -> None:
        """Deliver every published message (twice: at least once) until nothing moves."""
        for _ in range(1000):
            self._collect()
            if not self.queue:
                return
            side, envelope, tries = self.queue.popleft()
            await self._deliver(side, envelope, tries)
        raise AssertionError("the simulated broker never drained")

    def _collect(self) -> None:
        for side, db in (("crm", self.crm), ("mes", self.mes)):
            for envelope in db.published[self.sent[side] :]:
                target = self.handlers[envelope.type][0]
                self.queue.extend([(target, envelope, 0), (target, envelope, 0)])  # a redelivery of each
            self.sent[side] = len(db.published)

    async def _deliver(self, side: str, envelope: Envelope, tries: int) -> None:
        _, handler = self.handlers[envelope.type]
        if side == "pricing":
            if envelope.message_id not in self.inbox["mes"] or self.toggles.bypass_inbox:
                await handler(envelope)
            return
        if envelope.message_id in self.inbox[side] and not self.toggles.bypass_inbox:
            return  # the inbox: a duplicate has no second effect
        if envelope.type in self.toggles.ack_before_commit:
            self.toggles.ack_before_commit.discard(envelope.type)
            self.inbox[side].add(envelope.message_id)  # acked (and remembered) before the handler committed...
            return  # ...and the process died: the effect never happened
        payload = CATALOGUE[envelope.type].model.model_validate(envelope.payload)
        uow = crm_uow(self.crm) if side == "crm" else mes_uow(self.mes)
        try:
            async with uow() as tx:
                await handler(tx, envelope, payload)
        except RetryLater:
            if tries < 5:
                self.queue.append((side, envelope, tries + 1))
            return
        except PermanentError:
            self.dead.append(envelope)
            return
        self.inbox[side].add(envelope.message_id)

    async def _price(self, envelope: Envelope) -> None:
        """The pricing worker: every line costs 10."""
        p = envelope.payload
        done = PricingCompleted(job_id=p["job_id"], order_id=p["order_id"], line_id=p["line"]["line_id"],
                                unit_price=Decimal(10), total_price=Decimal(10), breakdown={})  # fmt: skip
        self.mes.published.append(Envelope.wrap(done, type="pricing.completed", producer="pricing",
                                                correlation_id=p["order_id"]))  # fmt: skip

    def observed(self, order_id: str) -> Observed:
        """Both sides' views of an order, as chaos.observe reads them from the APIs."""
        oid = uuid.UUID(order_id)
        order = self.crm.orders.rows.get(oid)
        mes = self.mes.orders.rows.get(oid)
        jobs = [j for j in self.mes.production.rows.values() if j.order_id == oid]
        pricing = [j for j in self.mes.pricing.rows.values() if j.order_id == oid]
        return Observed(
            crm_state=order.state.value if order else None,
            timeline=tuple(e.state.value for e in self.crm.orders.timelines.get(oid, [])),
            mes_state=mes_state(mes.stage.value if mes else None, jobs[-1].state.value if jobs else None),
            lines=len(order.lines) if order else 0,
            production_jobs=len(jobs),
            pricing_jobs=len(pricing),
        )
