"""FastAPI dependencies of the Shop: clients, templates, the signed-in account and CSRF protection."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, Any, cast

from fastapi import Depends, HTTPException, Request
from starlette.datastructures import FormData
from starlette.templating import Jinja2Templates

from system.shop.clients import Clients
from system.shop.settings import ShopSettings


class SignInRequired(Exception):
    """The request needs a signed-in account; the app answers with a redirect to the sign-in page."""


class OperatorsOnly(Exception):
    """A customer asked for an operator page."""


@dataclass(frozen=True)
class User:
    """The signed-in account as kept in the session cookie."""

    token: str
    account: dict[str, Any]

    @property
    def is_operator(self) -> bool:
        return bool(self.account.get("role") == "operator")


def _settings(request: Request) -> ShopSettings:
    return cast(ShopSettings, request.app.state.settings)


def _clients(request: Request) -> Clients:
    return cast(Clients, request.app.state.clients)


def _templates(request: Request) -> Jinja2Templates:
    return cast(Jinja2Templates, request.app.state.templates)


def ensure_csrf(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def verify_csrf(request: Request, form: FormData) -> None:
    """Refuse a state-changing request that does not carry this session's CSRF token."""
    sent = form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = request.session.get("csrf") or ""
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent, expected):
        raise HTTPException(403, "This form has expired. Please reload the page and try again.")


async def _checked_form(request: Request) -> FormData:
    form = await request.form()
    verify_csrf(request, form)
    return form


def _user(request: Request) -> User:
    ensure_csrf(request)
    token = request.session.get("token")
    if not token:
        raise SignInRequired()
    return User(token=token, account=request.session.get("account") or {})


def _operator(user: Annotated[User, Depends(_user)]) -> User:
    if not user.is_operator:
        raise OperatorsOnly()
    return user


def sign_in(request: Request, token: str, account: dict[str, Any]) -> None:
    """Start a fresh session for `account` (a new CSRF token too: nothing from before sign-in carries over)."""
    request.session.clear()
    request.session.update(token=token, account=account)
    ensure_csrf(request)


def flash(request: Request, message: str, kind: str = "success") -> None:
    """Leave a one-off message for the page the browser is redirected to."""
    request.session["flash"] = {"message": message, "kind": kind}


SettingsDep = Annotated[ShopSettings, Depends(_settings)]
ClientsDep = Annotated[Clients, Depends(_clients)]
TemplatesDep = Annotated[Jinja2Templates, Depends(_templates)]
UserDep = Annotated[User, Depends(_user)]
OperatorDep = Annotated[User, Depends(_operator)]
FormDep = Annotated[FormData, Depends(_checked_form)]
