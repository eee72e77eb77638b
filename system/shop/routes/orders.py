"""Customer pages: new order, my orders, one order (with its live quote and timeline), order actions."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from system.shop import service
from system.shop.clients import ServiceError
from system.shop.deps import ClientsDep, FormDep, TemplatesDep, UserDep, flash
from system.shop.forms import parse_lines
from system.shop.routes.common import fragment, new_order_page, page, redirect
from system.shop.schema import Order, Pricing, TimelineEntry
from system.shop.views import iso

router = APIRouter(tags=["pages"], include_in_schema=False)

ACTIONS = {
    "confirm": "Order confirmed. We'll start production shortly.",
    "cancel": "Order cancelled.",
    "deliver": "Order marked as delivered.",
}
# A confirmed order's cancellation is a request the factory answers (accepted unless production has started).
CANCELLATION_REQUESTED = "We've asked the factory to cancel your order; the answer appears on this page shortly."
LIVE_PARTS = {"status": "_status", "quote": "_quote", "actions": "_actions", "progress": "_progress"}


@router.get("/orders/new")
async def new_order(
    request: Request,
    user: UserDep,
    templates: TemplatesDep,
    clients: ClientsDep,
    file: list[str] = Query([]),
    name: list[str] = Query([]),
) -> HTMLResponse:
    """The new-order page; `file` lists models uploaded earlier without JavaScript, `name` their names."""
    try:
        lines = await service.drafts_for(clients.files, user.token, file, name)
    except ServiceError as err:
        if err.status >= 500 or err.status == 401:
            raise
        return new_order_page(request, templates, [], error="One of your uploaded models could not be found.")
    return new_order_page(request, templates, lines)


@router.post("/orders", response_model=None)
async def place_order(
    request: Request, user: UserDep, templates: TemplatesDep, clients: ClientsDep, form: FormDep
) -> HTMLResponse | RedirectResponse:
    """Place the order on the form, or show the form again with what needs fixing."""
    key = str(form.get("idempotency_key") or "")[:100] or str(uuid.uuid4())
    try:
        lines = parse_lines(form)
    except ValueError as exc:
        return new_order_page(request, templates, [], error=str(exc), status=422)
    if removed := form.get("remove"):  # the "Remove" button of a line, when no script removed it in place
        kept = [line for line in lines if line.key != removed]
        return new_order_page(request, templates, kept, idempotency_key=key)
    if not lines:
        return new_order_page(request, templates, [], error="Upload at least one model to order.", status=422)
    if not all([line.validate() for line in lines]):  # a list, not a generator: mark every line's errors at once
        return new_order_page(request, templates, lines, error="Please correct the highlighted fields.", status=422)
    try:
        order = await service.place_order(clients.crm, user.token, lines, key)
    except ServiceError as err:
        if err.status == 401:
            raise
        if err.status >= 500:
            # We cannot know whether it went through; the same key makes trying again safe.
            error = "Our order service is not responding. Please try again: it will not create a second order."
            return new_order_page(request, templates, lines, idempotency_key=key, error=error, status=503)
        return new_order_page(request, templates, lines, error=err.detail, status=422)
    return redirect(f"/orders/{order.id}")


@router.get("/orders")
async def my_orders(request: Request, user: UserDep, templates: TemplatesDep, clients: ClientsDep) -> HTMLResponse:
    """The caller's orders with their states."""
    orders = await service.my_orders(clients.crm, user.token)
    return page(request, templates, "orders/list.html", orders=orders)


@router.get("/orders/{order_id}")
async def order_page(
    request: Request, order_id: str, user: UserDep, templates: TemplatesDep, clients: ClientsDep
) -> HTMLResponse:
    """One order: its quote, what the customer can do with it, and its timeline."""
    order, timeline = await service.order_with_timeline(clients.crm, user.token, order_id)
    pricing = await service.pricing_of(clients.mes, user.token, order)
    return page(request, templates, "orders/detail.html", order=order, timeline=timeline, pricing=pricing)


@router.get("/orders/{order_id}/live")
async def order_live(
    request: Request, order_id: str, user: UserDep, templates: TemplatesDep, clients: ClientsDep, since: str = ""
) -> JSONResponse:
    """What the order page's script polls: unchanged, or the fresh pieces of the page."""
    order = await clients.crm.order(user.token, order_id)
    pricing = await service.pricing_of(clients.mes, user.token, order)
    # The version the page holds: the order's last change, and while it is priced, how far the pricing is.
    version = iso(order.updated_at) + (f"@{pricing.percent}" if pricing else "")
    body: dict[str, Any] = {"state": order.state, "updated_at": version, "final": order.is_final}
    body["changed"] = version != since
    if body["changed"]:
        timeline = await clients.crm.timeline(user.token, order_id)
        body["html"] = _live_parts(request, templates, order, timeline, pricing)
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def _live_parts(
    request: Request, templates: TemplatesDep, order: Order, timeline: list[TimelineEntry], pricing: Pricing | None
) -> dict[str, str]:
    parts = {
        part: fragment(request, templates, f"orders/{f}.html", order=order, pricing=pricing)
        for part, f in LIVE_PARTS.items()
    }
    parts["timeline"] = fragment(request, templates, "orders/_timeline.html", order=order, timeline=timeline)
    return parts


@router.post("/orders/{order_id}/{action}")
async def order_action(
    request: Request, order_id: str, action: str, user: UserDep, clients: ClientsDep, form: FormDep
) -> RedirectResponse:
    """Confirm, cancel or (operators) deliver an order, then show it again."""
    if action not in ACTIONS:
        raise HTTPException(404, "No such action.")
    body = {"reason": str(form.get("reason") or "").strip()[:500]}  # empty: the CRM records its default
    try:
        order = await clients.crm.act(user.token, order_id, action, body if action == "cancel" else None)
    except ServiceError as err:
        if err.status == 401 or err.status >= 500 or err.status == 404:
            raise
        flash(request, f"That didn't work: {err.detail}", "error")
    else:
        flash(request, CANCELLATION_REQUESTED if order.state == "cancellation_requested" else ACTIONS[action])
    return redirect(f"/orders/{order_id}")
