"""RFC 9457 problem+json for every error an API returns; never a stack trace, never a 500 for client input."""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from system.kernel.outages import CANDIDATES, OUTAGES, RETRY_AFTER_SECONDS, is_outage

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"


class ProblemDetails(BaseModel):
    """The body of every error response (RFC 9457), as documented in each service's OpenAPI."""

    model_config = ConfigDict(extra="allow", title="Problem")

    type: str = Field(description="A URI naming the kind of problem; its last segment is `code`")
    title: str = Field(description="The HTTP status phrase")
    status: int = Field(description="The HTTP status code")
    detail: str = Field(description="What went wrong, for a person")
    code: str = Field(description="A stable slug for programs")
    errors: list[dict[str, str]] | None = Field(
        default=None, description="Validation errors: one `{field, message}` per invalid input"
    )


class Problem(Exception):
    """An error a client caused or should know about; `code` is a stable slug in the problem `type`."""

    def __init__(self, status: int, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.extra = extra


def problem_response(status: int, code: str, detail: str, **extra: Any) -> JSONResponse:
    """A problem+json response; a 503 says when to retry (`Retry-After`)."""
    body = {
        "type": f"https://errors.orders.example/{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def translate_errors(app: FastAPI, translate: Callable[[Exception], Problem], *types: type[Exception]) -> None:
    """Answer the domain exceptions `types` as problem+json, as `translate` says, wherever a route raises them."""

    async def handle(_: Request, exc: Exception) -> JSONResponse:
        problem = translate(exc)
        return problem_response(problem.status, problem.code, problem.detail, **problem.extra)

    for exc_type in types:
        app.add_exception_handler(exc_type, handle)


def install_problem_handlers(app: FastAPI) -> None:
    """Map our Problems, HTTP errors, validation errors and anything unexpected to problem+json."""

    @app.exception_handler(Problem)
    async def _problem(_: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.code, exc.detail, **exc.extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "-")
        return problem_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem_response(422, "validation-error", detail, errors=errors)

    async def _dependency_failed(request: Request, exc: Exception) -> JSONResponse:
        if is_outage(exc):  # the transaction was rolled back: nothing was half-done, the client may retry
            OUTAGES.labels(app.title).inc()
            log.warning("dependency unavailable on %s %s: %r", request.method, request.url.path, exc)
            return problem_response(
                503, "dependency-unavailable", "A service this request needs is unavailable; please retry shortly."
            )
        return _internal_error(request)

    for family in CANDIDATES:
        app.add_exception_handler(family, _dependency_failed)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return await _dependency_failed(request, exc)


def _internal_error(request: Request) -> JSONResponse:
    """A bug: logged with its traceback (we are inside the exception handler), answered without details."""
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(500, "internal-error", "An unexpected error occurred; it has been logged.")


PROBLEM_SCHEMA_REF = "#/components/schemas/Problem"
MALFORMED_BODY = "The body could not be parsed (not JSON, or not UTF-8)"
INVALID_REQUEST = "Invalid request: the reason is in `detail` and `errors`"
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


def document_problems(app: FastAPI) -> None:
    """Make the app's OpenAPI say what its errors really are: every 4xx/5xx response is problem+json with the
    `Problem` schema (FastAPI would document nothing, or its own 422 body as application/json); an operation
    with a body also documents 400 (a body that is not JSON), and one with inputs documents 422."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problem_openapi(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def problem_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` (an OpenAPI document) with its error responses documented as problem+json; changed in place."""
    content = {PROBLEM: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses: dict[str, Any] = operation["responses"]
            if "requestBody" in operation:
                responses.setdefault("400", {"description": MALFORMED_BODY})
            if "requestBody" in operation or operation.get("parameters"):
                responses.setdefault("422", {"description": INVALID_REQUEST})
            for status, response in responses.items():
                if _is_error(status):
                    if response.get("description") == "Validation Error":
                        response["description"] = INVALID_REQUEST
                    response["content"] = dict(content)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
    text = repr(schema.get("paths", {}))
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        if f"#/components/schemas/{name}" not in text:
            components.pop(name, None)
    return schema


def _is_error(status: str) -> bool:
    if status.isdigit():
        return int(status) >= 400
    return status.upper() in {"4XX", "5XX"}
