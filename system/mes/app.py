"""MES wiring: the one place that builds concrete adapters (uvicorn --factory system.mes.app:create_app)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from system.kernel.db import database_check, make_engine
from system.kernel.errors import translate_errors
from system.kernel.http import create_service_app
from system.kernel.messaging.runtime import MessagingRuntime
from system.kernel.telemetry import setup_logging, setup_tracing
from system.kernel.uow import transactional
from system.mes import api, consumers
from system.mes.adapters.uow import MesUnitOfWork
from system.mes.ports import UowFactory
from system.mes.schema import inbox, outbox
from system.mes.settings import MesSettings

SERVICE = "mes"


def create_app(settings: MesSettings | None = None) -> FastAPI:
    """Build the MES app from MES_* settings."""
    settings = settings or MesSettings()
    setup_logging(SERVICE, settings.log_level, settings.log_json)
    setup_tracing(SERVICE, settings.otlp_endpoint)
    engine = make_engine(settings.database_url, settings.db_pool_size)
    uow: UowFactory = transactional(engine, MesUnitOfWork)
    messaging = MessagingRuntime(settings.amqp_url, engine, outbox=outbox, inbox=inbox, consumers=consumers.CONSUMERS)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if settings.run_messaging:
            messaging.start()
        yield
        await messaging.stop()
        await engine.dispose()

    checks = {"database": database_check(engine), **({"messaging": messaging.check} if settings.run_messaging else {})}
    return mount(create_service_app(SERVICE, checks=checks, lifespan=lifespan), settings=settings, uow=uow)


def mount(app: FastAPI, *, settings: MesSettings, uow: UowFactory) -> FastAPI:
    """The MES's routes and error answers on `app`, over these dependencies (unit tests pass fakes)."""
    app.state.settings = settings
    app.state.uow = uow
    for router in api.ROUTERS:
        app.include_router(router)
    translate_errors(app, api.problem_for, *api.DOMAIN_ERRORS)
    return app
