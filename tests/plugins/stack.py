"""Pytest plugin: the real local stack, started by the same code as `make up` (session scope).

`--stack=containers` runs it in containers of `make images` (system/stack/containers.py) instead of processes of
this machine, `--stack=auto` where Docker answers and the images are built (system/stack/runtimes.py): every
StackSettings of the session reads the choice, so tests, fixtures and faults all follow it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

from system.kernel.db import make_engine
from system.stack import runtimes
from system.stack.containers import docker_available
from system.stack.settings import StackSettings
from system.stack.stack import Stack, running_stack

CHOSEN = pytest.StashKey[runtimes.Selection | None]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--stack",
        choices=runtimes.CHOICES,
        default=None,
        help="where the stack runs: processes of this machine (default), containers (`make images`), or auto "
        "(containers where Docker answers and the images are built); also STACK_RUNTIME",
    )


def pytest_configure(config: pytest.Config) -> None:
    try:
        config.stash[CHOSEN] = runtimes.select(config.getoption("--stack"))
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from exc


def pytest_report_header(config: pytest.Config) -> str | None:
    if (selection := config.stash.get(CHOSEN, None)) is None:
        return None
    return f"stack runtime: {selection}"


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """The running stack; started here (and stopped at the end) only if it was not already up."""
    if StackSettings().runtime == "containers" and (reason := docker_available()) is not None:
        pytest.skip(f"--stack=containers: {reason}")
    with running_stack(progress=lambda msg: None) as running:
        yield running


@pytest.fixture(scope="session")
def amqp_url(stack: Stack) -> str:
    return stack.settings.amqp_url


@pytest.fixture
def unique() -> str:
    """A short unique suffix, so tests sharing one stack never share queues, exchanges or databases."""
    return uuid.uuid4().hex[:10]


@asynccontextmanager
async def scratch_database(stack: Stack, name: str, metadata: MetaData) -> AsyncIterator[AsyncEngine]:
    """A throw-away database with `metadata`'s tables, dropped afterwards."""
    stack.postgres.create_database(name)
    engine = make_engine(stack.settings.database_url(name), pool_size=20)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        yield engine
    finally:
        await engine.dispose()
        stack.postgres.drop_database(name)
