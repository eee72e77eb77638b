"""The File Service over HTTP, as the CRM's FileCatalog."""

from __future__ import annotations

import uuid

import httpx

from system.crm.ports import FileInfo
from system.kernel.auth import issue_service_token

SERVICE, AUDIENCE = "crm", "files"


class FileServiceUnavailable(RuntimeError):
    """The File Service could not answer; the order is not accepted (the client may retry)."""


class HttpFileCatalog:
    """Asks the File Service once per account and file, with a service token acting for that account: a stored
    file never changes (it is addressed by its content), and who may use it does not either."""

    def __init__(self, client: httpx.AsyncClient, auth_secret: str, cache_size: int = 10_000) -> None:
        self.client = client  # base_url = the File Service; bounded timeouts set by the caller
        self.auth_secret = auth_secret
        self.cache_size = cache_size
        # Keyed by account too: a file one account may use says nothing about another account.
        self._known: dict[tuple[uuid.UUID, uuid.UUID], FileInfo] = {}

    async def ping(self) -> None:
        """Readiness: raise unless the File Service answers (orders cannot be placed without it)."""
        response = await self.client.get("/healthz")
        response.raise_for_status()

    async def describe(self, file_id: uuid.UUID, *, account_id: uuid.UUID) -> FileInfo | None:
        """The file as `account_id` sees it; None if it does not exist or is not that account's."""
        key = (account_id, file_id)
        if (known := self._known.get(key)) is not None:
            return known
        info = await self._fetch(file_id, account_id)
        if info is not None:
            if len(self._known) >= self.cache_size:
                self._known.pop(next(iter(self._known)))  # forget the oldest
            self._known[key] = info
        return info

    async def _fetch(self, file_id: uuid.UUID, account_id: uuid.UUID) -> FileInfo | None:
        # A fresh one-minute token per call: cheap (one HMAC), and nothing long-lived to leak.
        token = issue_service_token(self.auth_secret, service=SERVICE, audience=AUDIENCE, acting_for=account_id)
        try:
            response = await self.client.get(f"/files/{file_id}", headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as exc:
            raise FileServiceUnavailable(f"File Service unreachable: {exc!r}") from exc
        if response.status_code == 404:  # missing, or another account's: the File Service does not say which
            return None
        if response.status_code != 200:
            raise FileServiceUnavailable(f"File Service answered {response.status_code}")
        body = response.json()
        return FileInfo(file_id=file_id, filename=body["filename"], sha256=body["sha256"])
