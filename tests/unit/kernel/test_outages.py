"""Telling a dependency outage (503) from a bug (500): by the exception and whatever it was raised from."""

from __future__ import annotations

import errno
import socket

import asyncpg.exceptions as pg
import botocore.exceptions as boto
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import exc as sa

from system.kernel.http import create_service_app
from system.kernel.outages import is_outage


def wrapped(inner: BaseException) -> Exception:
    """`inner` as SQLAlchemy reports it: a DBAPIError raised from the driver's error."""
    try:
        try:
            raise inner
        except BaseException as exc:
            raise sa.DBAPIError("SELECT 1", None, exc) from exc  # type: ignore[arg-type]
    except sa.DBAPIError as outer:
        return outer


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(111, "Connection refused"),
        ConnectionResetError(),
        TimeoutError(),
        socket.gaierror(-2, "Name or service not known"),
        OSError(errno.EHOSTUNREACH, "No route to host"),
        wrapped(pg.CannotConnectNowError("the database system is starting up")),
        wrapped(pg.ConnectionDoesNotExistError("connection was closed in the middle of operation")),
        wrapped(pg.AdminShutdownError("terminating connection due to administrator command")),
        sa.OperationalError("SELECT 1", None, Exception("server closed the connection")),  # type: ignore[arg-type]
        sa.TimeoutError("QueuePool limit reached"),
        boto.EndpointConnectionError(endpoint_url="http://127.0.0.1:7480/models"),
        boto.ReadTimeoutError(endpoint_url="http://127.0.0.1:7480/models"),
    ],
    ids=repr,
)
def test_connection_failures_are_outages(exc: BaseException) -> None:
    assert is_outage(exc)


@pytest.mark.parametrize(
    "exc",
    [
        FileNotFoundError(errno.ENOENT, "no such file"),
        ValueError("bad"),
        sa.IntegrityError("INSERT", None, Exception("duplicate key")),  # type: ignore[arg-type]
        wrapped(pg.UniqueViolationError("duplicate key value")),
        KeyError("x"),
        boto.ParamValidationError(report="Bucket is required"),
    ],
    ids=repr,
)
def test_bugs_are_not_outages(exc: BaseException) -> None:
    assert not is_outage(exc)


def app_raising(exc: Exception) -> FastAPI:
    app = create_service_app("test")

    @app.get("/boom")
    async def boom() -> None:
        raise exc

    return app


def test_an_outage_is_a_503_problem_with_retry_after_and_a_bug_stays_a_500() -> None:
    down = TestClient(app_raising(ConnectionRefusedError(111, "refused")), raise_server_exceptions=False).get("/boom")
    assert down.status_code == 503 and down.headers["retry-after"] == "5"
    assert down.headers["content-type"] == "application/problem+json"
    assert down.json()["code"] == "dependency-unavailable"
    store = TestClient(
        app_raising(boto.EndpointConnectionError(endpoint_url="http://s3")), raise_server_exceptions=False
    )
    assert store.get("/boom").status_code == 503
    bug = TestClient(app_raising(FileNotFoundError(2, "gone")), raise_server_exceptions=False).get("/boom")
    assert bug.status_code == 500 and bug.json()["code"] == "internal-error" and "retry-after" not in bug.headers
