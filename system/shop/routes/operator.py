"""The operator console: production jobs by state with their next actions, shipped orders to close, and where
any order is."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from system.shop import service
from system.shop.clients import ServiceError
from system.shop.deps import ClientsDep, FormDep, OperatorDep, SettingsDep, TemplatesDep, User, flash
from system.shop.routes.common import page, redirect
from system.shop.views import JOB_ACTIONS, short_id

router = APIRouter(prefix="/operator", tags=["operator"], include_in_schema=False)

DONE = {"start": "started", "complete": "printed", "qc-pass": "passed QC", "qc-fail": "failed QC", "ship": "shipped"}
ACTIONS = {action for choices in JOB_ACTIONS.values() for action, _ in choices}


@router.get("")
async def console(request: Request, user: OperatorDep, templates: TemplatesDep, clients: ClientsDep) -> HTMLResponse:
    """Jobs grouped by state, orders waiting to be marked delivered, and stuck orders."""
    return page(request, templates, "operator/console.html", console=await service.console(clients, user.token))


@router.post("/jobs/{job_id}/{action}")
async def job_action(
    request: Request, job_id: str, action: str, user: OperatorDep, clients: ClientsDep, form: FormDep
) -> RedirectResponse:
    """Move a production job on in the MES."""
    if action not in ACTIONS:
        raise HTTPException(404, "No such action.")
    try:
        job = await clients.mes.act(user.token, job_id, action)
    except ServiceError as err:
        if err.status == 401 or err.status >= 500:
            raise
        flash(request, f"Job {short_id(job_id)} was not changed: {err.detail}", "error")
    else:
        flash(request, f"Job {short_id(job.id)} {DONE[action]}.")
    return redirect("/operator")


@router.post("/orders/{order_id}/deliver")
async def deliver(
    request: Request, order_id: str, user: OperatorDep, clients: ClientsDep, form: FormDep
) -> RedirectResponse:
    """Record that a shipped order has reached its customer."""
    try:
        await clients.crm.act(user.token, order_id, "deliver")
    except ServiceError as err:
        if err.status == 401 or err.status >= 500:
            raise
        flash(request, f"Order {short_id(order_id)} was not changed: {err.detail}", "error")
    else:
        flash(request, f"Order {short_id(order_id)} marked as delivered.")
    return redirect("/operator")


@router.get("/orders", response_model=None)
async def where_is_my_order(
    request: Request, user: OperatorDep, templates: TemplatesDep, clients: ClientsDep, order: str = ""
) -> HTMLResponse | RedirectResponse:
    """Where is my order: the stuck orders, and a lookup by order id (`order`) that leads to its position."""
    wanted = order.strip()[:100]  # an id is 36 characters; whatever else was pasted is shown back, not all of it
    if not wanted:
        return await _where_page(request, templates, clients, user)
    try:
        return redirect(f"/operator/orders/{uuid.UUID(wanted)}")
    except ValueError:
        error = "That is not an order id: enter the full id (36 characters), as at the end of the order's address."
        return await _where_page(request, templates, clients, user, query=wanted, error=error, status=422)


@router.get("/orders/{order_id}")
async def order_position(
    request: Request,
    order_id: str,
    user: OperatorDep,
    templates: TemplatesDep,
    clients: ClientsDep,
    settings: SettingsDep,
) -> HTMLResponse:
    """One order's position: state against its limit, who holds it, its trace, dead letters and timeline."""
    try:
        position = await clients.crm.position(user.token, order_id)
    except ServiceError as err:
        if err.status not in (404, 422):  # 422: an id that is no id
            raise
        error = f"No order has the id {order_id}."
        return await _where_page(request, templates, clients, user, query=order_id, error=error, status=404)
    return page(
        request,
        templates,
        "operator/position.html",
        position=position,
        traces_url=settings.traces_url,
        trace_path=settings.trace_link,
    )


async def _where_page(
    request: Request,
    templates: TemplatesDep,
    clients: ClientsDep,
    user: User,
    *,
    query: str = "",
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    stuck = await service.stuck_or_none(clients.crm, user.token)
    return page(request, templates, "operator/where.html", status, stuck=stuck, query=query, error=error)
