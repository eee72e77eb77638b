"""Database plumbing: async engines, a naming convention for constraints, Alembic upgrades."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from importlib import resources

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.ext import asyncio as sa_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# Advisory lock key taken while migrating (advisory locks are per database, so one key serves every service).
MIGRATION_LOCK = 0x4C57_4D49_4752  # "LWMIGR"

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    """A MetaData with the project's constraint naming convention (stable names for migrations)."""
    return MetaData(naming_convention=NAMING)


def make_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    """An asyncpg engine that checks connections before use, so a restarted PostgreSQL is survived; traced (DB
    spans) when `setup_tracing` ran first with an exporter."""
    # Looked up on the module at call time: the SQLAlchemy instrumentor wraps `sqlalchemy.ext.asyncio`'s function,
    # and the name imported above was bound before it did.
    return sa_asyncio.create_async_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, pool_recycle=1800
    )


def database_check(engine: AsyncEngine) -> Callable[[], Awaitable[None]]:
    """A readiness check that runs `SELECT 1` (raises when the database is unreachable)."""

    async def check() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    return check


def alembic_config(package: str, url: str) -> Config:
    """Alembic config for the migration scripts in `package` (e.g. 'system.files.migrations')."""
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files(package)))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(package: str, url: str) -> None:
    """Upgrade the database at `url` to the newest revision of `package`."""
    command.upgrade(alembic_config(package, url), "head")


def run_migrations_online(metadata: MetaData) -> None:
    """Body of every service's Alembic env.py: run the migrations over an async engine."""
    from alembic import context

    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None, "sqlalchemy.url must be set"

    async def _run() -> None:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(_do_run, metadata)
        await engine.dispose()

    asyncio.run(_run())


def _do_run(sync_conn, metadata: MetaData) -> None:  # type: ignore[no-untyped-def]
    from alembic import context

    # Replicas deployed together all run their migrations: the first takes this lock, the others wait for it to
    # commit and then find the database at head. Held until the transaction ends (engine.begin() above).
    sync_conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
    context.configure(connection=sync_conn, target_metadata=metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
