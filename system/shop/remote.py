"""JSON over HTTP to another service: bearer tokens, trace propagation, problem+json mapped to `ServiceError`."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Protocol
from urllib.parse import quote

import httpx
from opentelemetry import propagate


class ServiceError(Exception):
    """A service answered with a problem (or could not be reached): `code` and `detail` come from its problem+json."""

    def __init__(self, status: int, code: str, detail: str, service: str = "") -> None:
        super().__init__(f"{service} {status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.service = service


class Reader(Protocol):
    """Something the bytes of an upload can be read from in pieces (Starlette's UploadFile is one)."""

    async def read(self, size: int = -1) -> bytes: ...


async def propagate_trace(request: httpx.Request) -> None:
    """Carry the current trace to the called service (an httpx request hook)."""
    # One order is one trace from the Shop click onwards: downstream services continue our span.
    propagate.inject(request.headers)


def problem_of(service: str, response: httpx.Response) -> ServiceError:
    """The ServiceError a failed response stands for (its problem+json, or just its status)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    body = body if isinstance(body, dict) else {}
    status = response.status_code
    code = str(body.get("code") or _slug(status))
    detail = str(body.get("detail") or body.get("title") or f"The {service} service answered {status}.")
    return ServiceError(status, code, detail, service)


def _slug(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "-")
    except ValueError:
        return f"http-{status}"


class RemoteApi:
    """JSON over HTTP with bearer tokens, problem+json mapped to ServiceError."""

    def __init__(self, service: str, http: httpx.AsyncClient) -> None:
        self.service = service
        self.http = http

    async def call(
        self, method: str, path: str, *, token: str | None = None, headers: dict[str, str] | None = None, **kw: Any
    ) -> Any:
        """The decoded JSON answer to one request (None when empty); ServiceError on any failure."""
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = await self.http.request(method, path, headers=headers, **kw)
        except httpx.HTTPError as exc:
            raise ServiceError(503, "unavailable", f"The {self.service} service is unreachable.", self.service) from exc
        if not response.is_success:
            raise problem_of(self.service, response)
        try:
            return response.json() if response.content else None
        except ValueError as exc:
            raise ServiceError(
                502, "bad-gateway", f"The {self.service} service sent an unreadable answer.", self.service
            ) from exc


def segment(value: str) -> str:
    """An id from a browser URL, made safe to put in a path segment of another service's URL."""
    return quote(value, safe="")
