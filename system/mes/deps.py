"""FastAPI dependencies of the MES, as Annotated aliases (the concrete objects are built once in app.py)."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from system.kernel.auth import Principal
from system.kernel.security import principal_dependency
from system.mes.ports import UowFactory
from system.mes.settings import MesSettings


def _settings(request: Request) -> MesSettings:
    return cast(MesSettings, request.app.state.settings)


def _uow(request: Request) -> UowFactory:
    return cast(UowFactory, request.app.state.uow)


SettingsDep = Annotated[MesSettings, Depends(_settings)]
UowDep = Annotated[UowFactory, Depends(_uow)]
PrincipalDep = Annotated[Principal, Depends(principal_dependency(lambda request: _settings(request).auth_secret))]
