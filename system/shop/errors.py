"""Failures as people see them: an error page (or a redirect to sign in) for browsers, problem+json for scripts."""

from __future__ import annotations

import logging
from http import HTTPStatus
from urllib.parse import urlencode

from fastapi import FastAPI, Request, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.templating import Jinja2Templates

from system.kernel.errors import problem_response
from system.shop.clients import ServiceError
from system.shop.deps import OperatorsOnly, SignInRequired, flash
from system.shop.routes.common import redirect

log = logging.getLogger(__name__)

PAGES = {
    403: ("Not available", "You don't have access to this page."),
    404: ("Not found", "We couldn't find that page. It may have moved, or the link may be incomplete."),
    503: ("Temporarily unavailable", "Part of our service isn't responding right now. Please try again in a moment."),
}


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def install_page_errors(app: FastAPI, templates: Jinja2Templates) -> None:
    """Register the Shop's handlers on top of the kernel's problem+json ones."""

    def error_page(request: Request, status: int, detail: str | None = None) -> Response:
        title, default = PAGES.get(status, ("Something went wrong", "Please go back and try again."))
        if not _wants_html(request):
            code = "internal-error" if status == 500 else HTTPStatus(status).phrase.lower().replace(" ", "-")
            return problem_response(status, code, detail or default)
        context = {"title": title, "detail": detail or default, "status": status}
        return templates.TemplateResponse(request, "error.html", context, status_code=status)

    def to_sign_in(request: Request, expired: bool = False) -> Response:
        if not _wants_html(request):
            return problem_response(401, "sign-in-required", "Sign in to continue.")
        if expired:
            request.session.clear()
            flash(request, "Your session has expired. Please sign in again.", "error")
        query = urlencode({"next": request.url.path}) if request.method == "GET" else ""
        return redirect(f"/signin?{query}" if query else "/signin")

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, _: SignInRequired) -> Response:
        return to_sign_in(request)

    @app.exception_handler(OperatorsOnly)
    async def _operators(request: Request, _: OperatorsOnly) -> Response:
        return error_page(request, 403, "This page is for operators. Your orders are under My orders.")

    @app.exception_handler(ServiceError)
    async def _service(request: Request, exc: ServiceError) -> Response:
        if exc.status == 401:
            return to_sign_in(request, expired=True)
        if exc.status == 404 or (exc.status == 422 and request.method == "GET"):  # 422: an id that is no id
            return error_page(request, 404, "We couldn't find that. If you followed a link, check it is complete.")
        if exc.status == 403:
            return error_page(request, 403)
        log.warning("service error on %s %s: %s", request.method, request.url.path, exc)
        return error_page(request, 503 if exc.status >= 500 else 400, None if exc.status >= 500 else exc.detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return error_page(request, exc.status_code, str(exc.detail) if exc.status_code != 404 else None)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_page(request, 500, "Something went wrong on our side. It has been logged; please try again.")
