"""File Service HTTP client: ask for a presigned download URL, then stream the object from the store."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator

import httpx
from pydantic import BaseModel, ValidationError

from system.kernel.auth import issue_service_token
from system.pricing.ports import FilesUnavailable, ModelNotFound

CHUNK_BYTES = 1 << 20
SERVICE, AUDIENCE = "pricing", "files"


class DownloadLink(BaseModel):
    """The part of the File Service's `GET /files/{id}/download` answer we use."""

    file_id: uuid.UUID
    url: str
    expires_in: int


class FilesClient:
    """Talks to the File Service at `base_url`; every failure is ModelNotFound (permanent) or FilesUnavailable."""

    def __init__(self, base_url: str, http: httpx.AsyncClient, auth_secret: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = http
        self.auth_secret = auth_secret

    async def download_url(self, file_id: uuid.UUID, *, customer_id: uuid.UUID | None, order_id: uuid.UUID) -> str:
        """A presigned GET URL for the file's bytes, asked for with a service token acting for the customer whose
        order it is (without one, the File Service shows the worker no file at all)."""
        token = issue_service_token(
            self.auth_secret, service=SERVICE, audience=AUDIENCE, acting_for=customer_id, order_id=order_id
        )
        try:
            response = await self.http.get(
                f"{self.base_url}/files/{file_id}/download", headers={"Authorization": f"Bearer {token}"}
            )
        except httpx.HTTPError as exc:
            raise FilesUnavailable(f"File Service unreachable: {exc!r}") from exc
        if response.status_code == 404:  # missing, or not this customer's: the File Service does not say which
            raise ModelNotFound(f"File not found: the File Service has no file {file_id} for this customer.")
        if response.status_code != 200:
            raise FilesUnavailable(f"File Service answered {response.status_code} for file {file_id}")
        try:
            return DownloadLink.model_validate_json(response.content).url
        except ValidationError as exc:
            raise FilesUnavailable(f"File Service sent an unexpected download answer: {exc}") from exc

    async def chunks(self, url: str, file_id: uuid.UUID) -> AsyncGenerator[bytes, None]:
        """The object's bytes, streamed (use with contextlib.aclosing to stop early)."""
        try:
            async with self.http.stream("GET", url) as response:
                if response.status_code == 404:
                    raise ModelNotFound(f"File not found: the object store has no content for file {file_id}.")
                if response.status_code != 200:
                    # 5xx is an outage; 403 is most likely a URL that expired while we waited: a retry gets a new one.
                    raise FilesUnavailable(f"object store answered {response.status_code} for file {file_id}")
                async for chunk in response.aiter_bytes(CHUNK_BYTES):
                    yield chunk
        except httpx.HTTPError as exc:
            raise FilesUnavailable(f"download of file {file_id} failed: {exc!r}") from exc
