"""The FastAPI side of authentication, shared by every service: bearer token in, Principal out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from system.kernel.auth import InvalidToken, Principal, ServicePrincipal, verify_caller, verify_token
from system.kernel.errors import Problem

_bearer = HTTPBearer(auto_error=False, description="The token from the CRM's POST /auth/login")
_any_bearer = HTTPBearer(
    auto_error=False,
    description="A person's token from the CRM's POST /auth/login, or a service token for this service",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def principal_dependency(secret_of: Callable[[Request], str]) -> Callable[..., Principal]:
    """A dependency that verifies the bearer token with the secret `secret_of(request)` returns."""

    def principal(request: Request, credentials: Credentials) -> Principal:
        try:
            return verify_token(secret_of(request), _token(credentials))
        except InvalidToken as exc:
            raise Problem(401, "invalid-token", f"The token is not valid: {exc}") from exc

    return principal


def caller_dependency(
    secret_of: Callable[[Request], str], audience: str
) -> Callable[..., Principal | ServicePrincipal]:
    """A dependency for services both people and other services call: a person's token, or a service token
    whose audience is `audience` (the service this dependency protects)."""

    def caller(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_any_bearer)]
    ) -> Principal | ServicePrincipal:
        try:
            return verify_caller(secret_of(request), _token(credentials), audience=audience)
        except InvalidToken as exc:
            raise Problem(401, "invalid-token", f"The token is not valid: {exc}") from exc

    return caller


def _token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None:
        raise Problem(401, "unauthenticated", "Sign in first: send `Authorization: Bearer <token>`.")
    return credentials.credentials


def require_operator(principal: Principal) -> None:
    """403 unless the caller is an operator."""
    if not principal.is_operator:
        raise Problem(403, "forbidden", "This needs an operator account.")
