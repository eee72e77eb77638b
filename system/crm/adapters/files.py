"""The File Service over HTTP, as the CRM's FileCatalog."""

from __future__ import annotations

import uuid

import httpx

from system.crm.ports import FileInfo


class FileServiceUnavailable(RuntimeError):
    """The File Service could not answer; the order is not accepted (the client may retry)."""


class HttpFileCatalog:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client  # base_url = the File Service; bounded timeouts set by the caller

    async def describe(self, file_id: uuid.UUID) -> FileInfo | None:
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
