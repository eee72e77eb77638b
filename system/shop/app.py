"""Shop wiring: the one place that builds the clients, templates and middleware (uvicorn --factory create_app)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from system.kernel.http import create_service_app
from system.kernel.telemetry import setup_logging, setup_tracing
from system.shop.clients import Clients
from system.shop.errors import install_page_errors
from system.shop.routes import auth, operator, orders, uploads
from system.shop.settings import ShopSettings
from system.shop.templating import make_templates

SERVICE = "shop"
STATIC = Path(__file__).parent / "static"
# Everything the pages use is served from here: no inline script or style, nothing from other sites.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'"
)


def build_app(settings: ShopSettings, clients: Clients | None = None) -> FastAPI:
    """The Shop app over `clients` (built from the settings' URLs unless given, as tests do)."""
    clients = clients or Clients.build(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await clients.aclose()

    app = create_service_app(SERVICE, checks={"crm": clients.crm.ping}, lifespan=lifespan)
    templates = make_templates()
    app.state.settings = settings
    app.state.clients = clients
    app.state.templates = templates
    install_page_errors(app, templates)
    for module in (auth, orders, uploads, operator):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers.setdefault("Content-Security-Policy", CSP)
            response.headers.setdefault("Cache-Control", "no-store")  # pages show private, changing data
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret,
        session_cookie="shop_session",
        max_age=settings.session_max_age_seconds,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    return app


def create_app(settings: ShopSettings | None = None) -> FastAPI:
    """Build the Shop from SHOP_* settings, with logging and tracing set up."""
    settings = settings or ShopSettings()  # required values come from the environment
    setup_logging(SERVICE, settings.log_level, settings.log_json)
    setup_tracing(SERVICE, settings.otlp_endpoint)
    return build_app(settings)
