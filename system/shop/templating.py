"""The Jinja environment: the filters of `views` and what every page knows about the request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.templating import Jinja2Templates

from system.shop.views import (
    ALWAYS_SHOWN,
    BREAKDOWN,
    JOB_ACTIONS,
    JOB_EMPTY,
    JOB_STATES,
    MATERIALS,
    PROCESSES,
    SOURCES,
    UNITS,
    duration,
    duration_since,
    eur,
    iso,
    percent,
    short_id,
    state_label,
    state_tone,
    steps,
    waterfall_url,
    when,
)


def base_context(request: Request) -> dict[str, Any]:
    """What every template and fragment may use: the shop's name, the signed-in account, the CSRF token."""
    settings = request.app.state.settings
    session = request.scope.get("session") or {}  # absent only if a failure struck outside the session layer
    return {
        "request": request,
        "shop_name": settings.shop_name,
        "user": session.get("account"),
        "csrf_token": session.get("csrf", ""),
        "poll_interval_ms": settings.poll_interval_ms,
    }


def _page_context(request: Request) -> dict[str, Any]:
    # Only whole pages show (and so consume) the one-off message left by a redirecting POST.
    return {**base_context(request), "flash": (request.scope.get("session") or {}).pop("flash", None)}


def make_templates() -> Jinja2Templates:
    """The Jinja environment with the Shop's filters and per-request context."""
    templates = Jinja2Templates(directory=Path(__file__).parent / "templates", context_processors=[_page_context])
    env = templates.env
    env.filters.update(eur=eur, when=when, iso=iso, ago=duration_since, short_id=short_id, pct=percent)
    env.filters.update(duration=duration)
    env.filters.update(state=state_label, tone=state_tone, material=lambda m: MATERIALS.get(m, m))
    env.globals.update(
        steps=steps,
        JOB_STATES=JOB_STATES,
        JOB_ACTIONS=JOB_ACTIONS,
        MATERIALS=MATERIALS,
        PROCESSES=PROCESSES,
        BREAKDOWN=BREAKDOWN,
        ALWAYS_SHOWN=ALWAYS_SHOWN,
    )
    env.globals.update(SOURCES=SOURCES, JOB_EMPTY=JOB_EMPTY, waterfall_url=waterfall_url, UNITS=UNITS)
    env.trim_blocks = env.lstrip_blocks = True
    return templates
