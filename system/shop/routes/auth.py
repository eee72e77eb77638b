"""Signing in and out."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from system.shop.clients import ServiceError
from system.shop.deps import ClientsDep, FormDep, TemplatesDep, ensure_csrf, flash, sign_in
from system.shop.routes.common import home_for, page, redirect, safe_next

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/")
async def home(request: Request) -> RedirectResponse:
    """Send each visitor to where they start: sign-in, their orders, or the operator console."""
    if not request.session.get("token"):
        return redirect("/signin")
    return redirect(home_for(request.session.get("account")))


@router.get("/signin", response_model=None)
async def signin_page(request: Request, templates: TemplatesDep, next: str = "") -> HTMLResponse | RedirectResponse:
    """The sign-in form."""
    if request.session.get("token"):
        return redirect(safe_next(next, home_for(request.session.get("account"))))
    ensure_csrf(request)
    return page(request, templates, "signin.html", next=safe_next(next, ""), email="")


@router.post("/signin", response_model=None)
async def signin(
    request: Request, templates: TemplatesDep, clients: ClientsDep, form: FormDep
) -> HTMLResponse | RedirectResponse:
    """Exchange email and password for a CRM token kept in the session cookie."""
    email, password = str(form.get("email") or "").strip(), str(form.get("password") or "")
    target = safe_next(str(form.get("next") or ""), "")
    try:
        login = await clients.crm.login(email, password)
    except ServiceError as err:
        if err.status >= 500:
            error, status = "We can't sign you in right now. Please try again in a moment.", 503
        else:
            error, status = "The email or password is incorrect.", 401
        return page(request, templates, "signin.html", status, next=target, email=email, error=error)
    account = login.account.model_dump(mode="json")
    sign_in(request, login.access_token, account)
    return redirect(target or home_for(account))


@router.post("/signout")
async def signout(request: Request, form: FormDep) -> RedirectResponse:
    """Forget the session."""
    request.session.clear()
    ensure_csrf(request)
    flash(request, "You have signed out.")
    return redirect("/signin")
