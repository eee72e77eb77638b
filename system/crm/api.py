"""CRM HTTP API: parse, call the use case, map domain errors to problem+json."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response

from system.crm import service
from system.crm.adapters.dead_letters import BrokerUnavailable
from system.crm.adapters.files import FileServiceUnavailable
from system.crm.deps import DeadLettersDep, FilesDep, PrincipalDep, SettingsDep, UowDep
from system.crm.domain import InvalidTransition, State
from system.crm.schemas import (
    AccountOut,
    CancelIn,
    LoginRequest,
    LoginResponse,
    OrderIn,
    OrderList,
    OrderOut,
    PositionOut,
    Timeline,
    TimelineOut,
)
from system.kernel.auth import Principal, issue_token
from system.kernel.errors import Problem

router = APIRouter()
PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or invalid credentials"},
    403: {"description": "The caller's role may not do this"},
    404: {"description": "No such order (for this caller)"},
    409: {"description": "The order's state does not allow this"},
    422: {"description": "Invalid request"},
    503: {"description": "A dependency (database, File Service, broker) is unavailable; retry after `Retry-After` s"},
}


def problem_for(exc: Exception) -> Problem:
    """The problem+json answer to a domain exception a route let through (registered in app.py)."""
    if isinstance(exc, InvalidTransition):
        return Problem(409, "invalid-transition", str(exc), state=exc.current.value)
    if isinstance(exc, service.OrderRejected):
        return Problem(422, exc.code, exc.detail)
    if isinstance(exc, service.Forbidden):
        return Problem(403, "forbidden", str(exc))
    if isinstance(exc, FileServiceUnavailable):
        return Problem(503, "files-unavailable", "The File Service is unavailable; please retry shortly.")
    if isinstance(exc, BrokerUnavailable):
        return Problem(503, "broker-unavailable", "RabbitMQ is unavailable, so its dead-letter queues cannot be read.")
    return Problem(404, "not-found", str(exc))


DOMAIN_ERRORS = (
    InvalidTransition,
    service.OrderRejected,
    service.Forbidden,
    service.NotFound,
    FileServiceUnavailable,
    BrokerUnavailable,
)


@router.post("/auth/login", response_model=LoginResponse, responses=PROBLEMS, tags=["auth"], summary="Sign in")
async def login(body: LoginRequest, uow: UowDep, settings: SettingsDep) -> LoginResponse:
    account = await service.authenticate(body.email, body.password, uow=uow)
    if account is None:
        raise Problem(401, "bad-credentials", "The email or password is not correct.")
    principal = Principal(account.id, "operator" if account.role == "operator" else "customer")
    token = issue_token(settings.auth_secret, principal, settings.token_ttl_seconds)
    return LoginResponse(access_token=token, account=AccountOut.of(account))


@router.get("/me", response_model=AccountOut, responses=PROBLEMS, tags=["auth"], summary="The signed-in account")
async def me(principal: PrincipalDep, uow: UowDep) -> AccountOut:
    try:
        return AccountOut.of(await service.account_of(principal, uow=uow))
    except service.NotFound as exc:
        raise Problem(401, "unknown-account", str(exc)) from exc


@router.post(
    "/orders",
    status_code=201,
    response_model=OrderOut,
    responses={
        200: {"model": OrderOut, "description": "Placed before with this Idempotency-Key: that order"},
        **PROBLEMS,
    },
    tags=["orders"],
)
async def place_order(
    body: OrderIn,
    principal: PrincipalDep,
    uow: UowDep,
    files: FilesDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> OrderOut:
    """Place an order, priced asynchronously (poll it or its timeline).

    Retry-safe with an `Idempotency-Key` (per account, valid 24 hours): a repeat returns the first order (200),
    also when the first request is still being processed; the same key with a different body is refused (422).
    """
    lines = [
        service.LineRequest(l.file_id, l.material, l.process, l.quantity, l.lead_time_days, l.filename, l.unit)
        for l in body.lines  # noqa: E741
    ]
    order, created = await service.place_order(principal, lines, idempotency_key=idempotency_key, uow=uow, files=files)
    if not created:
        response.status_code = 200
    return OrderOut.of(order)


@router.get("/orders", response_model=OrderList, responses=PROBLEMS, tags=["orders"])
async def list_orders(
    principal: PrincipalDep, uow: UowDep, state: Annotated[State | None, Query()] = None
) -> OrderList:
    """The caller's orders, newest first (operators see everyone's)."""
    return OrderList(items=[OrderOut.of(o) for o in await service.list_orders(principal, state, uow=uow)])


@router.get("/orders/stuck", response_model=OrderList, responses=PROBLEMS, tags=["operations"])
async def stuck_orders(principal: PrincipalDep, uow: UowDep) -> OrderList:
    """Orders that have stayed in their state longer than that state's limit (operators)."""
    return OrderList(items=[OrderOut.of(o) for o in await service.stuck_orders(principal, uow=uow)])


@router.get("/orders/{order_id}", response_model=OrderOut, responses=PROBLEMS, tags=["orders"])
async def get_order(order_id: uuid.UUID, principal: PrincipalDep, uow: UowDep) -> OrderOut:
    return OrderOut.of(await service.get_order(principal, order_id, uow=uow))


@router.get("/orders/{order_id}/timeline", response_model=Timeline, responses=PROBLEMS, tags=["orders"])
async def order_timeline(order_id: uuid.UUID, principal: PrincipalDep, uow: UowDep) -> Timeline:
    """Every state the order went through, with its source service, message id, trace id and time."""
    entries = await service.timeline(principal, order_id, uow=uow)
    return Timeline(items=[TimelineOut.of(e) for e in entries])


@router.get("/orders/{order_id}/position", response_model=PositionOut, responses=PROBLEMS, tags=["operations"])
async def order_position(
    order_id: uuid.UUID, principal: PrincipalDep, uow: UowDep, dead_letters: DeadLettersDep
) -> PositionOut:
    """Where the order is (operators): its state, since when against the state's limit, who must act next, its
    timeline, the trace it was placed in, and its messages in the dead-letter queues."""
    return PositionOut.of(await service.where_is(principal, order_id, uow=uow, dead_letters=dead_letters))


@router.post("/orders/{order_id}/confirm", response_model=OrderOut, responses=PROBLEMS, tags=["orders"])
async def confirm(order_id: uuid.UUID, principal: PrincipalDep, uow: UowDep) -> OrderOut:
    """Accept the quote."""
    return OrderOut.of(await service.confirm(principal, order_id, uow=uow))


@router.post(
    "/orders/{order_id}/cancel",
    response_model=OrderOut,
    responses={202: {"model": OrderOut, "description": "Confirmed: cancellation requested, MES answers"}, **PROBLEMS},
    tags=["orders"],
)
async def cancel(
    order_id: uuid.UUID, principal: PrincipalDep, uow: UowDep, response: Response, body: CancelIn | None = None
) -> OrderOut:
    """Cancel the order: at once before confirmation (200); a confirmed order's cancellation is a request the
    factory accepts if production has not started (202, state `cancellation_requested`; follow the order)."""
    order = await service.cancel(principal, order_id, body.reason if body else "", uow=uow)
    if order.state is State.CANCELLATION_REQUESTED:
        response.status_code = 202
    return OrderOut.of(order)


@router.post("/orders/{order_id}/deliver", response_model=OrderOut, responses=PROBLEMS, tags=["operations"])
async def deliver(order_id: uuid.UUID, principal: PrincipalDep, uow: UowDep) -> OrderOut:
    """Record delivery of a shipped order (operators)."""
    return OrderOut.of(await service.deliver(principal, order_id, uow=uow))


ROUTERS = (router,)
