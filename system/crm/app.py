"""CRM wiring: the one place that builds concrete adapters (uvicorn --factory system.crm.app:create_app)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI
from prometheus_client import Gauge

from system.crm import api, consumers
from system.crm.adapters.dead_letters import BrokerDeadLetters
from system.crm.adapters.files import HttpFileCatalog
from system.crm.adapters.uow import CrmUnitOfWork
from system.crm.ports import DeadLetters, FileCatalog, UowFactory
from system.crm.schema import inbox, outbox
from system.crm.seed import seed_demo_accounts
from system.crm.settings import CrmSettings
from system.kernel.db import database_check, make_engine
from system.kernel.errors import translate_errors
from system.kernel.http import create_service_app
from system.kernel.messaging.runtime import MessagingRuntime
from system.kernel.telemetry import setup_logging, setup_tracing
from system.kernel.uow import transactional

SERVICE = "crm"
log = logging.getLogger(__name__)
ORDERS_BY_STATE = Gauge("crm_orders", "Orders by state", ["state"])
STUCK = Gauge("crm_orders_stuck", "Orders in a state for longer than its limit", ["state"])


def create_app(settings: CrmSettings | None = None) -> FastAPI:
    """Build the CRM app from CRM_* settings."""
    settings = settings or CrmSettings()
    setup_logging(SERVICE, settings.log_level, settings.log_json)
    setup_tracing(SERVICE, settings.otlp_endpoint)
    engine = make_engine(settings.database_url, settings.db_pool_size)
    uow: UowFactory = transactional(engine, CrmUnitOfWork)
    files_client = httpx.AsyncClient(base_url=settings.files_url, timeout=httpx.Timeout(10, connect=3))
    messaging = MessagingRuntime(settings.amqp_url, engine, outbox=outbox, inbox=inbox, consumers=consumers.CONSUMERS)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if settings.seed_demo_accounts:
            await seed_demo_accounts(uow, settings.demo_password)
        if settings.run_messaging:
            messaging.start()
        background = [asyncio.create_task(_refresh_gauges(uow)), asyncio.create_task(_purge_expired_keys(uow))]
        yield
        for task in background:
            task.cancel()
        await messaging.stop()
        await files_client.aclose()
        await engine.dispose()

    files = HttpFileCatalog(files_client, settings.auth_secret)
    checks = {"database": database_check(engine), "files": files.ping}
    if settings.run_messaging:
        checks["messaging"] = messaging.check
    app = create_service_app(SERVICE, checks=checks, lifespan=lifespan)
    return mount(app, settings=settings, uow=uow, files=files, dead_letters=BrokerDeadLetters(settings.amqp_url))


def mount(
    app: FastAPI, *, settings: CrmSettings, uow: UowFactory, files: FileCatalog, dead_letters: DeadLetters
) -> FastAPI:
    """The CRM's routes and error answers on `app`, over these dependencies (unit tests pass fakes)."""
    app.state.settings = settings
    app.state.uow = uow
    app.state.files = files
    app.state.dead_letters = dead_letters
    for router in api.ROUTERS:
        app.include_router(router)
    translate_errors(app, api.problem_for, *api.DOMAIN_ERRORS)
    return app


async def _refresh_gauges(uow: UowFactory, every: float = 15) -> None:
    """Orders per state and stuck orders, for dashboards and the stuck-order alert."""
    while True:
        with contextlib.suppress(Exception):
            async with uow() as tx:
                counts = await tx.orders.count_by_state()
                stuck = await tx.orders.stuck(datetime.now(UTC))
            for state, n in counts.items():
                ORDERS_BY_STATE.labels(state).set(n)
            for state in counts:
                STUCK.labels(state).set(sum(1 for o in stuck if o.state.value == state))
        await asyncio.sleep(every)


async def _purge_expired_keys(uow: UowFactory, every: float = 900) -> None:
    """Forget Idempotency-Keys past their expiry (an expired key may already name a new order on its own)."""
    while True:
        with contextlib.suppress(Exception):
            async with uow() as tx:
                purged = await tx.orders.purge_expired_keys(datetime.now(UTC))
            if purged:
                log.info("expired idempotency keys purged", extra={"count": purged})
        await asyncio.sleep(every)
