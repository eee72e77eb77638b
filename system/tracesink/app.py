"""Trace sink wiring (uvicorn --factory system.tracesink.app:create_app)."""

from __future__ import annotations

from fastapi import FastAPI

from system.kernel.http import create_service_app
from system.kernel.telemetry import setup_logging
from system.tracesink import api
from system.tracesink.settings import TracesinkSettings
from system.tracesink.store import SpanStore

SERVICE = "tracesink"


def create_app(settings: TracesinkSettings | None = None) -> FastAPI:
    """Build the sink from TRACESINK_* settings; it sets up no tracing of its own (it would trace itself)."""
    settings = settings or TracesinkSettings()
    setup_logging(SERVICE, settings.log_level, settings.log_json)
    return mount(SpanStore(settings.max_spans))


def mount(store: SpanStore) -> FastAPI:
    """The sink's app over `store` (unit tests pass their own)."""
    app = create_service_app(SERVICE, traced=False)
    app.state.store = store
    app.include_router(api.router)
    return app
