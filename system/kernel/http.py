"""The common shape of every HTTP service: health, readiness, metrics, problem+json, tracing, RED metrics."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI, Request, Response
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

from system.kernel.errors import install_problem_handlers, problem_response

ReadinessCheck = Callable[[], Awaitable[None]]  # raises when a dependency is unreachable

REQUESTS = Counter("http_requests_total", "HTTP requests", ["service", "method", "route", "status"])
LATENCY = Histogram("http_request_seconds", "HTTP request latency", ["service", "method", "route"])


def create_service_app(
    name: str,
    *,
    version: str = "0.1.0",
    checks: Mapping[str, ReadinessCheck] | None = None,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
) -> FastAPI:
    """A FastAPI app with /healthz, /readyz (running `checks`), /metrics and problem+json errors."""
    app = FastAPI(title=f"{name} API", version=version, lifespan=lifespan)
    install_problem_handlers(app)
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

    @app.middleware("http")
    async def red_metrics(request: Request, call_next):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        response = await call_next(request)
        route = getattr(request.scope.get("route"), "path", "unmatched")
        REQUESTS.labels(name, request.method, route, str(response.status_code)).inc()
        LATENCY.labels(name, request.method, route).observe(time.perf_counter() - started)
        return response

    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics")
    return app
