"""Recognising a dependency outage (database, object store, network) in an exception, so an API answers 503, not 500."""

from __future__ import annotations

import errno
import socket

import asyncpg.exceptions as pg
import botocore.exceptions as boto
from prometheus_client import Counter
from sqlalchemy import exc as sa

OUTAGES = Counter("http_dependency_outages_total", "Requests answered 503 because a dependency was down", ["service"])
RETRY_AFTER_SECONDS = 5  # what a 503 asks the client to wait: a PostgreSQL restart or a failover takes seconds

# Connection-level failures only: a constraint violation or a bad query is a bug (500), never an outage.
_OUTAGE_TYPES: tuple[type[BaseException], ...] = (
    ConnectionError,  # refused, reset, aborted, broken pipe
    TimeoutError,
    socket.gaierror,  # the host name does not resolve (DNS down)
    pg.PostgresConnectionError,  # the connection went away mid-request
    pg.OperatorInterventionError,  # the server is shutting down or starting up
    pg.InterfaceError,  # "connection is closed"
    sa.TimeoutError,  # no pooled connection became free in time
    sa.InterfaceError,
    sa.OperationalError,
    boto.ConnectionError,  # the object store is unreachable (refused, connect timeout)
    boto.HTTPClientError,  # it went away mid-request (closed, read timeout)
)


# What an outage surfaces as: errors of these families are answered by one handler that tells outages (503) from
# bugs (500). Handled there, not in the catch-all, because Starlette re-raises what reaches the catch-all, and the
# server then drops the keep-alive connection under the load balancer (it answered 502 to the next request).
CANDIDATES: tuple[type[Exception], ...] = (
    OSError,
    sa.DBAPIError,
    sa.TimeoutError,
    pg.PostgresError,
    pg.InterfaceError,
    boto.BotoCoreError,
)


_NETWORK_ERRNOS = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ENETDOWN, errno.EHOSTDOWN}


def is_outage(exc: BaseException) -> bool:
    """True if `exc`, or an exception it was raised from, means a dependency could not be reached."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _OUTAGE_TYPES) or getattr(current, "errno", None) in _NETWORK_ERRNOS:
            return True
        if isinstance(current, sa.DBAPIError) and current.connection_invalidated:
            return True
        current = current.__cause__ or current.__context__
    return False
