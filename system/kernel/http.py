"""The common shape of every HTTP service: health, readiness, metrics, problem+json, tracing, RED metrics."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI, Response
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from system.kernel.errors import document_problems, install_problem_handlers, problem_response

ReadinessCheck = Callable[[], Awaitable[None]]  # raises when a dependency is unreachable

REQUESTS = Counter("http_requests_total", "HTTP requests", ["service", "method", "route", "status"])
LATENCY = Histogram("http_request_seconds", "HTTP request latency", ["service", "method", "route"])


def create_service_app(
    name: str,
    *,
    version: str = "0.1.0",
    checks: Mapping[str, ReadinessCheck] | None = None,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
    traced: bool = True,
) -> FastAPI:
    """A FastAPI app with /healthz, /readyz (running `checks`), /metrics, problem+json errors and, if `traced`,
    a server span per request."""
    app = FastAPI(title=f"{name} API", version=version, lifespan=lifespan)
    install_problem_handlers(app)
    document_problems(app)
    checks = checks or {}

    @app.get("/healthz", tags=["ops"], summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": name}

    @app.get(
        "/readyz",
        tags=["ops"],
        summary="Readiness: dependencies reachable",
        responses={503: {"description": "A dependency is unreachable"}},
    )
    async def readyz() -> Response:
        failed = {}
        for dep, check in checks.items():
            try:
                await check()
            except Exception as exc:
                failed[dep] = repr(exc)[:200]
        if failed:
            return problem_response(503, "not-ready", f"unreachable: {', '.join(failed)}", checks=failed)
        return Response('{"status":"ready"}', media_type="application/json")

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(RedMetrics, service=name)
    if traced:  # the trace sink is not: tracing it would feed its own exports back to it
        # One server span per request is the trace we need; the per-message receive/send spans only cost CPU.
        FastAPIInstrumentor.instrument_app(
            app, excluded_urls="healthz,readyz,metrics", exclude_spans=["receive", "send"]
        )
    return app


class RedMetrics:
    """Rate, errors and duration per route, as plain ASGI middleware (cheaper than BaseHTTPMiddleware)."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client sees if the app dies before answering

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            REQUESTS.labels(self.service, scope["method"], route, str(status)).inc()
            LATENCY.labels(self.service, scope["method"], route).observe(time.perf_counter() - started)
