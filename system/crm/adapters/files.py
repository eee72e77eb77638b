"""The File Service over HTTP, as the CRM's FileCatalog."""

from __future__ import annotations

import uuid

import httpx

from system.crm.ports import FileInfo


class FileServiceUnavailable(RuntimeError):
    """The File Service could not answer; the order is not accepted (the client may retry)."""


class HttpFileCatalog:
    """Asks the File Service once per file: a stored file never changes (it is addressed by its content)."""

    def __init__(self, client: httpx.AsyncClient, cache_size: int = 10_000) -> None:
        self.client = client  # base_url = the File Service; bounded timeouts set by the caller
        self.cache_size = cache_size
        self._known: dict[uuid.UUID, FileInfo] = {}

    async def describe(self, file_id: uuid.UUID) -> FileInfo | None:
        if (known := self._known.get(file_id)) is not None:
            return known
        info = await self._fetch(file_id)
        if info is not None:
            if len(self._known) >= self.cache_size:
                self._known.pop(next(iter(self._known)))  # forget the oldest
            self._known[file_id] = info
        return info

    async def _fetch(self, file_id: uuid.UUID) -> FileInfo | None:
        try:
            response = await self.client.get(f"/files/{file_id}")
        except httpx.HTTPError as exc:
            raise FileServiceUnavailable(f"File Service unreachable: {exc!r}") from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise FileServiceUnavailable(f"File Service answered {response.status_code}")
        body = response.json()
        return FileInfo(file_id=file_id, filename=body["filename"], sha256=body["sha256"])
