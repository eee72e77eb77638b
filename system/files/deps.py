"""FastAPI dependencies of the File Service, as Annotated aliases (built once in app.py)."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from system.files.adapters.repository import FileRepository
from system.files.adapters.storage import ObjectStore
from system.files.settings import FilesSettings


def _settings(request: Request) -> FilesSettings:
    return cast(FilesSettings, request.app.state.settings)


def _store(request: Request) -> ObjectStore:
    return cast(ObjectStore, request.app.state.store)


def _repo(request: Request) -> FileRepository:
    return cast(FileRepository, request.app.state.repo)


SettingsDep = Annotated[FilesSettings, Depends(_settings)]
StoreDep = Annotated[ObjectStore, Depends(_store)]
RepoDep = Annotated[FileRepository, Depends(_repo)]
