"""The operator console: production jobs by state with their next actions, and shipped orders to close."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from system.shop import service
from system.shop.clients import ServiceError
from system.shop.deps import ClientsDep, FormDep, OperatorDep, TemplatesDep, flash
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
