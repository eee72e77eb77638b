"""CRM use cases: one function per command or event, each in one unit of work (DESIGN.md §3)."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from opentelemetry import trace
from prometheus_client import Counter
from pydantic import BaseModel

from system.crm.domain import (
    Account,
    Cancellation,
    CancellationStatus,
    Order,
    OrderLine,
    Position,
    State,
    TimelineEntry,
)
from system.crm.ports import DeadLetters, DeadLetterScan, FileCatalog, UnitOfWork, UowFactory
from system.kernel.auth import Principal, check_password
from system.kernel.messaging.catalogue import (
    CancellationRequested,
    Material,
    OrderCancelled,
    OrderConfirmed,
    OrderPlaced,
    Process,
    Unit,
)
from system.kernel.messaging.catalogue import OrderLine as LineContract
from system.kernel.messaging.envelope import Envelope
from system.kernel.telemetry import current_trace_id

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)
ORDERS_PLACED = Counter("crm_orders_placed_total", "Orders accepted by the CRM", ["customer_kind"])
TRANSITIONS = Counter("crm_order_transitions_total", "Order state changes", ["state", "source"])
IDEMPOTENCY = Counter("crm_idempotent_requests_total", "Requests that re-used an Idempotency-Key", ["outcome"])
POSITION_LOOKUPS = Counter(
    "crm_order_position_lookups_total",
    "Operators' lookups of where an order is, by what they found (stuck, moving, finished, not_found, unavailable)",
    ["outcome"],
)
SOURCE = "crm"
# How long an Idempotency-Key names its order (documented in the API): a client retries within minutes.
IDEMPOTENCY_TTL = timedelta(hours=24)


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
    unit: Unit = Unit.MM


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
    described = [await files.describe(line.file_id, account_id=principal.account_id) for line in lines]
    pairs = enumerate(zip(lines, described, strict=True), 1)
    missing = [f"line {n} ({line.file_id})" for n, (line, info) in pairs if info is None]
    if missing:
        raise OrderRejected("unknown-file", f"No uploaded model of yours with that id: {', '.join(missing)}.")
    async with uow() as tx:
        account = await tx.accounts.get(principal.account_id)
        if account is None:
            raise NotFound("account no longer exists")
        order = Order(
            id=uuid.uuid4(),
            customer_id=account.id,
            idempotency_key=idempotency_key,
            trace_id=current_trace_id(),
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
                    r.unit,
                )
                for r, i in zip(lines, described, strict=True)
                if i is not None
            ],
        )
        if idempotency_key and (earlier := await _earlier(tx, account.id, idempotency_key, lines, order.id)):
            return earlier, False
        order.timeline.append(_entry(order, note=f"{len(order.lines)} line(s) sent for pricing"))
        await tx.orders.add(order)
        await tx.publish(_placed(order, account))
    ORDERS_PLACED.labels(account.kind or "?").inc()
    log.info("order placed", extra={"order_id": str(order.id), "lines": len(order.lines)})
    return order, True


async def _earlier(
    tx: UnitOfWork, customer_id: uuid.UUID, key: str, lines: list[LineRequest], order_id: uuid.UUID
) -> Order | None:
    """The order this key already placed (None: the key is now `order_id`'s); 422 if it placed a different one.

    The claim is a row insert: a concurrent request with the same key waits for the first one's transaction,
    then sees its order, so concurrent duplicates never create a second order nor fail.
    """
    fingerprint = request_fingerprint(lines)
    claim = await tx.orders.claim_idempotency_key(
        customer_id, key, fingerprint, order_id, expires_at=datetime.now(UTC) + IDEMPOTENCY_TTL
    )
    if claim is None:
        return None
    if claim.request_hash and claim.request_hash != fingerprint:  # '' for keys older than fingerprints
        IDEMPOTENCY.labels("mismatch").inc()
        raise OrderRejected(
            "idempotency-key-reused",
            "This Idempotency-Key was already used for a different order (other lines, quantities or options); "
            "send a new key for a new order.",
        )
    earlier = await tx.orders.get(claim.order_id)
    if earlier is None:  # the key outlived its order: cannot happen while orders are never deleted
        raise NotFound(f"no order {claim.order_id}")
    IDEMPOTENCY.labels("replay").inc()
    log.info("idempotent replay", extra={"order_id": str(earlier.id)})
    return earlier


def request_fingerprint(lines: list[LineRequest]) -> str:
    """A digest of what was ordered, so a key re-used for a different order is recognised."""
    # The unit joins only when it is not mm, so keys fingerprinted before units existed still match.
    canonical = [
        [str(r.file_id), r.material.value, r.process.value, r.quantity, r.lead_time_days, r.filename]
        + ([r.unit.value] if r.unit != Unit.MM else [])
        for r in lines
    ]
    return hashlib.sha256(json.dumps(canonical, separators=(",", ":")).encode()).hexdigest()


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
                quantity=l.quantity, lead_time_days=l.lead_time_days, unit=l.unit,
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
    return await _customer_step(principal, order_id, "confirm", State.CONFIRMED, "quote accepted", uow=uow)


async def cancel(principal: Principal, order_id: uuid.UUID, reason: str, *, uow: UowFactory) -> Order:
    """Cancel at once before confirmation; a confirmed order's cancellation is a request that MES answers."""
    reason = reason or "cancelled by the customer"
    async with uow() as tx:
        order = _visible(principal, await tx.orders.get(order_id, for_update=True), order_id)
        order.require_action("cancel", State.CANCELLED)
        if order.state is not State.CONFIRMED:
            return await _step(tx, order, State.CANCELLED, reason)
        order.cancellation = Cancellation(CancellationStatus.REQUESTED, reason)
        return await _step(tx, order, State.CANCELLATION_REQUESTED, f"asked the factory to cancel: {reason}")


async def deliver(principal: Principal, order_id: uuid.UUID, *, uow: UowFactory) -> Order:
    """An operator records the carrier's proof of delivery."""
    if not principal.is_operator:
        raise Forbidden("only operators record deliveries")
    return await _customer_step(principal, order_id, "deliver", State.DELIVERED, "delivered to the customer", uow=uow)


async def _customer_step(
    principal: Principal, order_id: uuid.UUID, action: str, target: State, note: str, *, uow: UowFactory
) -> Order:
    async with uow() as tx:
        order = _visible(principal, await tx.orders.get(order_id, for_update=True), order_id)
        order.require_action(action, target)
        return await _step(tx, order, target, note)


async def _step(tx: UnitOfWork, order: Order, target: State, note: str) -> Order:
    """Move a locked order to `target`, store it, and tell MES what it must know (same transaction)."""
    order.transition(target, source=SOURCE, trace_id=current_trace_id(), note=note)
    await tx.orders.save(order)
    announcement = _ANNOUNCED.get(target)
    if announcement is not None:
        type_, make = announcement
        payload = make(order, order.cancellation.reason if order.cancellation else note)
        await tx.publish(Envelope.wrap(payload, type=type_, producer=SOURCE, correlation_id=str(order.id)))
    TRANSITIONS.labels(target.value, SOURCE).inc()
    log.info("order %s", target.value, extra={"order_id": str(order.id)})
    return order


# What MES hears of the customer's decisions: (message type, payload from the order and the reason).
_ANNOUNCED: dict[State, tuple[str, Callable[[Order, str], BaseModel]]] = {
    State.CONFIRMED: ("order.confirmed", lambda o, _: OrderConfirmed(order_id=o.id)),
    State.CANCELLED: ("order.cancelled", lambda o, why: OrderCancelled(order_id=o.id, reason=why)),
    State.CANCELLATION_REQUESTED: (
        "order.cancellation_requested",
        lambda o, why: CancellationRequested(order_id=o.id, reason=why),
    ),
}


async def stuck_orders(principal: Principal, *, uow: UowFactory) -> list[Order]:
    if not principal.is_operator:
        raise Forbidden("only operators list stuck orders")
    async with uow() as tx:
        return await tx.orders.stuck(datetime.now(UTC))


@dataclass(frozen=True)
class OrderPosition:
    """An order's position at `at`, with its timeline and the dead letters about it."""

    order: Order
    position: Position
    timeline: list[TimelineEntry]
    dead_letters: DeadLetterScan
    at: datetime


async def where_is(
    principal: Principal, order_id: uuid.UUID, *, uow: UowFactory, dead_letters: DeadLetters
) -> OrderPosition:
    """Where the order is now and why (operators only; any customer's order)."""
    if not principal.is_operator:
        raise Forbidden("only operators look up where an order is")
    async with uow() as tx:
        order = await tx.orders.get(order_id)
        if order is None:
            POSITION_LOOKUPS.labels("not_found").inc()
            raise NotFound(f"no order {order_id}")
        timeline = await tx.orders.timeline(order_id)
    try:  # after the transaction: no database connection waits for RabbitMQ
        letters = await dead_letters.for_order(order_id)
    except Exception:
        POSITION_LOOKUPS.labels("unavailable").inc()
        raise
    now = datetime.now(UTC)
    position = order.position(now)
    POSITION_LOOKUPS.labels("stuck" if position.stuck else "moving" if position.holder else "finished").inc()
    log.info(
        "order position looked up",
        extra={"order_id": str(order.id), "state": order.state.value, "stuck": position.stuck,
               "dead_letters": len(letters.letters)},
    )  # fmt: skip
    return OrderPosition(order, position, timeline, letters, now)


async def with_order(tx: UnitOfWork, order_id: uuid.UUID) -> Order:
    """The order, locked for the rest of the transaction (event handlers)."""
    order = await tx.orders.get(order_id, for_update=True)
    if order is None:
        raise NotFound(f"no order {order_id}")
    return order
