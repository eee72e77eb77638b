"""FastAPI dependencies of the CRM, as Annotated aliases (the concrete objects are built once in app.py)."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from system.crm.ports import DeadLetters, FileCatalog, UowFactory
from system.crm.settings import CrmSettings
from system.kernel.auth import Principal
from system.kernel.errors import Problem
from system.kernel.security import principal_dependency


def _settings(request: Request) -> CrmSettings:
    return cast(CrmSettings, request.app.state.settings)


def _uow(request: Request) -> UowFactory:
    return cast(UowFactory, request.app.state.uow)


def _files(request: Request) -> FileCatalog:
    return cast(FileCatalog, request.app.state.files)


def _dead_letters(request: Request) -> DeadLetters:
    return cast(DeadLetters, request.app.state.dead_letters)


SettingsDep = Annotated[CrmSettings, Depends(_settings)]
UowDep = Annotated[UowFactory, Depends(_uow)]
FilesDep = Annotated[FileCatalog, Depends(_files)]
DeadLettersDep = Annotated[DeadLetters, Depends(_dead_letters)]
TokenDep = Annotated[Principal, Depends(principal_dependency(lambda request: _settings(request).auth_secret))]


async def _principal(principal: TokenDep, uow: UowDep) -> Principal:
    """The token's principal while its account exists with the role the token names (one query per request)."""
    async with uow() as tx:
        account = await tx.accounts.get(principal.account_id)
    if account is None:
        raise Problem(401, "unknown-account", "The account this token was issued to no longer exists.")
    if ("operator" if account.role == "operator" else "customer") != principal.role:
        raise Problem(401, "stale-token", "The account's role has changed since this token was issued; sign in again.")
    return principal


PrincipalDep = Annotated[Principal, Depends(_principal)]
