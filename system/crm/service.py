"""CRM use cases: one function per command or event, each in one unit of work (DESIGN.md §3)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from opentelemetry import trace
from prometheus_client import Counter

from system.crm.domain import Account, Order, OrderLine, State, TimelineEntry
from system.crm.ports import FileCatalog, UnitOfWork, UowFactory
from system.kernel.auth import Principal, check_password
from system.kernel.messaging.catalogue import Material, OrderCancelled, OrderConfirmed, OrderPlaced, Process
from system.kernel.messaging.catalogue import OrderLine as LineContract
from system.kernel.messaging.envelope import Envelope
from system.kernel.telemetry import current_trace_id

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)
ORDERS_PLACED = Counter("crm_orders_placed_total", "Orders accepted by the CRM", ["customer_kind"])
TRANSITIONS = Counter("crm_order_transitions_total", "Order state changes", ["state", "source"])
SOURCE = "crm"


class NotFound(LookupError):
    """No such order for this caller (another customer's order is not found either)."""


class Forbidden(PermissionError):
    """The caller's role may not do this."""


class OrderRejected(ValueError):
    """The order cannot be accepted as submitted; `code` names why."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class LineRequest:
    file_id: uuid.UUID
    material: Material
    process: Process
    quantity: int
    lead_time_days: int
    filename: str | None = None  # the customer's name for the model; else the File Service's


async def authenticate(email: str, password: str, *, uow: UowFactory) -> Account | None:
    """The account these credentials belong to, or None."""
    async with uow() as tx:
        found = await tx.accounts.by_email(email)
    if found is None or not check_password(password, found[1]):
        return None
    return found[0]


async def account_of(principal: Principal, *, uow: UowFactory) -> Account:
    async with uow() as tx:
        account = await tx.accounts.get(principal.account_id)
    if account is None:
        raise NotFound("account no longer exists")
    return account


async def place_order(
    principal: Principal,
    lines: list[LineRequest],
    *,
    idempotency_key: str | None,
    uow: UowFactory,
    files: FileCatalog,
) -> tuple[Order, bool]:
    """Accept an order for pricing and announce it; return (order, created). A repeated key returns the first."""
    if principal.is_operator:
        raise Forbidden("operators do not place orders")
    described = [await files.describe(line.file_id) for line in lines]
    missing = [str(line.file_id) for line, info in zip(lines, described, strict=True) if info is None]
    if missing:
        raise OrderRejected("unknown-file", f"No uploaded model with id {', '.join(missing)}.")
    async with uow() as tx:
        if idempotency_key and (earlier := await tx.orders.by_idempotency_key(principal.account_id, idempotency_key)):
            return earlier, False
        account = await tx.accounts.get(principal.account_id)
        if account is None:
            raise NotFound("account no longer exists")
        order = Order(
            id=uuid.uuid4(),
            customer_id=account.id,
            idempotency_key=idempotency_key,
            lines=[
                OrderLine(
                    uuid.uuid4(),
                    r.file_id,
                    r.filename or i.filename,
                    i.sha256,
                    r.material,
                    r.process,
                    r.quantity,
                    r.lead_time_days,
                )
                for r, i in zip(lines, described, strict=True)
                if i is not None
            ],
        )
        order.timeline.append(_entry(order, note=f"{len(order.lines)} line(s) sent for pricing"))
        await tx.orders.add(order)
        await tx.publish(_placed(order, account))
    ORDERS_PLACED.labels(account.kind or "?").inc()
    log.info("order placed", extra={"order_id": str(order.id), "lines": len(order.lines)})
    return order, True


def _entry(order: Order, note: str) -> TimelineEntry:
    return TimelineEntry(order.state, SOURCE, order.created_at, None, current_trace_id(), note)


def _placed(order: Order, account: Account) -> Envelope:
    payload = OrderPlaced(
        order_id=order.id,
        customer_id=account.id,
        customer_kind=account.kind or "b2c",
        contract_discount_pct=account.contract_discount_pct,
        lines=[
            LineContract(
                line_id=l.id, file_id=l.file_id, sha256=l.sha256, material=l.material, process=l.process,
                quantity=l.quantity, lead_time_days=l.lead_time_days,
            )
            for l in order.lines  # noqa: E741
        ],
    )  # fmt: skip
    return Envelope.wrap(payload, type="order.placed", producer=SOURCE, correlation_id=str(order.id))


async def get_order(principal: Principal, order_id: uuid.UUID, *, uow: UowFactory) -> Order:
    async with uow() as tx:
        return _visible(principal, await tx.orders.get(order_id), order_id)


def _visible(principal: Principal, order: Order | None, order_id: uuid.UUID) -> Order:
    """The order if this caller may see it; another customer's order is simply not found."""
    if order is None or (not principal.is_operator and order.customer_id != principal.account_id):
        raise NotFound(f"no order {order_id}")
    return order


async def list_orders(principal: Principal, state: State | None, *, uow: UowFactory) -> list[Order]:
    async with uow() as tx:
        return await tx.orders.find(None if principal.is_operator else principal.account_id, state)


async def timeline(principal: Principal, order_id: uuid.UUID, *, uow: UowFactory) -> list[TimelineEntry]:
    async with uow() as tx:
        _visible(principal, await tx.orders.get(order_id), order_id)
        return await tx.orders.timeline(order_id)


async def confirm(principal: Principal, order_id: uuid.UUID, *, uow: UowFactory) -> Order:
    """The customer accepts the quote: production may start."""
    return await _customer_step(principal, order_id, State.CONFIRMED, "quote accepted", uow=uow)


async def cancel(principal: Principal, order_id: uuid.UUID, reason: str, *, uow: UowFactory) -> Order:
    """Cancel before production; MES stops pricing and production for the order."""
    return await _customer_step(principal, order_id, State.CANCELLED, reason or "cancelled by the customer", uow=uow)


async def deliver(principal: Principal, order_id: uuid.UUID, *, uow: UowFactory) -> Order:
    """An operator records the carrier's proof of delivery."""
    if not principal.is_operator:
        raise Forbidden("only operators record deliveries")
    return await _customer_step(principal, order_id, State.DELIVERED, "delivered to the customer", uow=uow)


async def _customer_step(
    principal: Principal, order_id: uuid.UUID, target: State, note: str, *, uow: UowFactory
) -> Order:
    async with uow() as tx:
        order = _visible(principal, await tx.orders.get(order_id, for_update=True), order_id)
        order.transition(target, source=SOURCE, trace_id=current_trace_id(), note=note)
        await tx.orders.save(order)
        if target is State.CONFIRMED:
            await tx.publish(_event(OrderConfirmed(order_id=order.id), "order.confirmed", order))
        elif target is State.CANCELLED:
            await tx.publish(_event(OrderCancelled(order_id=order.id, reason=note), "order.cancelled", order))
    TRANSITIONS.labels(target.value, SOURCE).inc()
    log.info("order %s", target.value, extra={"order_id": str(order.id)})
    return order


def _event(payload: OrderConfirmed | OrderCancelled, type_: str, order: Order) -> Envelope:
    return Envelope.wrap(payload, type=type_, producer=SOURCE, correlation_id=str(order.id))


async def stuck_orders(principal: Principal, *, uow: UowFactory) -> list[Order]:
    if not principal.is_operator:
        raise Forbidden("only operators list stuck orders")
    async with uow() as tx:
        return await tx.orders.stuck(datetime.now(UTC))


async def with_order(tx: UnitOfWork, order_id: uuid.UUID) -> Order:
    """The order, locked for the rest of the transaction (event handlers)."""
    order = await tx.orders.get(order_id, for_update=True)
    if order is None:
        raise NotFound(f"no order {order_id}")
    return order
