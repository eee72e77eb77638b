"""Helpers every page route shares: rendering, content negotiation and safe redirects."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.templating import Jinja2Templates

from system.shop.forms import LineDraft
from system.shop.templating import base_context
from system.shop.views import size_limit


def wants_json(request: Request) -> bool:
    """Whether the caller is our script (it asks for JSON) rather than a browser navigating."""
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def page(request: Request, templates: Jinja2Templates, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A whole page."""
    return templates.TemplateResponse(request, name, context, status_code=status)


def fragment(request: Request, templates: Jinja2Templates, name: str, **context: Any) -> str:
    """A piece of a page, for a script to put in place."""
    return templates.get_template(name).render({**base_context(request), **context})


def redirect(url: str) -> RedirectResponse:
    """See-other: after a POST the browser GETs the result, so a reload never repeats the POST."""
    return RedirectResponse(url, status_code=303)


def safe_next(target: str | None, default: str) -> str:
    """Where to go after sign-in: only a path on this site, never another site (no open redirects)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def home_for(account: dict[str, Any] | None) -> str:
    """The page a signed-in account starts from."""
    return "/operator" if account and account.get("role") == "operator" else "/orders"


def new_order_page(
    request: Request,
    templates: Jinja2Templates,
    lines: list[LineDraft],
    *,
    idempotency_key: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The new-order page with `lines`; a fresh idempotency key unless a retry must reuse the last one."""
    settings = request.app.state.settings
    return page(
        request,
        templates,
        "orders/new.html",
        status,
        lines=lines,
        idempotency_key=idempotency_key or str(uuid.uuid4()),
        error=error,
        max_upload=size_limit(settings.max_upload_bytes),
    )
