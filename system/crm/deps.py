"""FastAPI dependencies of the CRM, as Annotated aliases (the concrete objects are built once in app.py)."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from system.crm.ports import FileCatalog, UowFactory
from system.crm.settings import CrmSettings
from system.kernel.auth import Principal
from system.kernel.security import principal_dependency


def _settings(request: Request) -> CrmSettings:
    return cast(CrmSettings, request.app.state.settings)


def _uow(request: Request) -> UowFactory:
    return cast(UowFactory, request.app.state.uow)


def _files(request: Request) -> FileCatalog:
    return cast(FileCatalog, request.app.state.files)


SettingsDep = Annotated[CrmSettings, Depends(_settings)]
UowDep = Annotated[UowFactory, Depends(_uow)]
FilesDep = Annotated[FileCatalog, Depends(_files)]
PrincipalDep = Annotated[Principal, Depends(principal_dependency(lambda request: _settings(request).auth_secret))]
