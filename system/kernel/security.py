"""The FastAPI side of authentication, shared by every service: bearer token in, Principal out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from system.kernel.auth import InvalidToken, Principal, verify_token
from system.kernel.errors import Problem

_bearer = HTTPBearer(auto_error=False, description="The token from the CRM's POST /auth/login")


def principal_dependency(secret_of: Callable[[Request], str]) -> Callable[..., Principal]:
    """A dependency that verifies the bearer token with the secret `secret_of(request)` returns."""

    def principal(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> Principal:
        if credentials is None:
            raise Problem(401, "unauthenticated", "Sign in first: send `Authorization: Bearer <token>`.")
        try:
            return verify_token(secret_of(request), credentials.credentials)
        except InvalidToken as exc:
            raise Problem(401, "invalid-token", f"The token is not valid: {exc}") from exc

    return principal


def require_operator(principal: Principal) -> None:
    """403 unless the caller is an operator."""
    if not principal.is_operator:
        raise Problem(403, "forbidden", "This needs an operator account.")
