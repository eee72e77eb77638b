"""FastAPI dependencies of the File Service, as Annotated aliases (built once in app.py)."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from system.files.adapters.repository import FileRepository
from system.files.adapters.storage import ObjectStore
from system.files.domain import Caller
from system.files.settings import FilesSettings
from system.kernel.auth import Principal, ServicePrincipal
from system.kernel.security import caller_dependency

AUDIENCE = "files"


def _settings(request: Request) -> FilesSettings:
    return cast(FilesSettings, request.app.state.settings)


def _store(request: Request) -> ObjectStore:
    return cast(ObjectStore, request.app.state.store)


def _repo(request: Request) -> FileRepository:
    return cast(FileRepository, request.app.state.repo)


verified_caller = caller_dependency(lambda request: _settings(request).auth_secret, AUDIENCE)


def current_caller(verified: Annotated[Principal | ServicePrincipal, Depends(verified_caller)]) -> Caller:
    """The verified caller of this request (401 problem+json without a valid token)."""
    # A service sees what the account it acts for sees (never all: operators are people).
    if isinstance(verified, ServicePrincipal):
        return Caller(verified.acting_for)
    return Caller(verified.account_id, sees_all=verified.is_operator)


SettingsDep = Annotated[FilesSettings, Depends(_settings)]
StoreDep = Annotated[ObjectStore, Depends(_store)]
RepoDep = Annotated[FileRepository, Depends(_repo)]
CallerDep = Annotated[Caller, Depends(current_caller)]
