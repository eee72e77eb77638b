"""File Service wiring: the one place that builds concrete adapters (uvicorn --factory create_app)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from system.files import api, checkpoints, service
from system.files.adapters.repository import SqlFileRepository
from system.files.adapters.storage import S3Store
from system.files.settings import FilesSettings
from system.kernel.db import database_check, make_engine
from system.kernel.errors import translate_errors
from system.kernel.http import create_service_app
from system.kernel.telemetry import setup_logging, setup_tracing

SERVICE = "files"


def create_app(settings: FilesSettings | None = None) -> FastAPI:
    """Build the File Service app from FILES_* settings."""
    settings = settings or FilesSettings()
    setup_logging(SERVICE, settings.log_level, settings.log_json)
    setup_tracing(SERVICE, settings.otlp_endpoint)
    engine = make_engine(settings.database_url, settings.db_pool_size)
    store = S3Store(
        settings.s3_bucket,
        endpoint=settings.s3_endpoint,
        region=settings.s3_region,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key,
    )

    repo = SqlFileRepository(engine)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await service.apply_lifecycle(store)
        await service.apply_lifecycle(store, checkpoints.PREFIX, checkpoints.KEEP_DAYS)
        # Every replica sweeps; the sweep's row locks (SKIP LOCKED) keep them from cleaning the same upload.
        sweeper = asyncio.create_task(service.run_sweeper(store=store, repo=repo, settings=settings))
        yield
        sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeper
        await engine.dispose()

    app = create_service_app(SERVICE, checks={"database": database_check(engine), "s3": store.ping}, lifespan=lifespan)
    app.state.settings = settings
    app.state.store = store
    app.state.repo = repo
    app.include_router(api.router)
    app.include_router(checkpoints.router)
    translate_errors(app, api.problem_for, *api.DOMAIN_ERRORS)
    return app
