"""File Service HTTP client: ask for a presigned download URL, then stream the object from the store; read and keep
the orientation search's checkpoints (the File Service holds the only S3 credentials)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator

import httpx
from pydantic import BaseModel, ValidationError

from system.kernel.auth import issue_service_token
from system.pricing.ports import FilesUnavailable, ModelNotFound

CHUNK_BYTES = 1 << 20
SERVICE, AUDIENCE = "pricing", "files"


class NoCheckpoint(LookupError):
    """The File Service keeps no checkpoint under that key."""


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
        try:
            response = await self.http.get(
                f"{self.base_url}/files/{file_id}/download", headers=self._auth(customer_id, order_id)
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

    async def checkpoint(self, key: str) -> bytes:
        """A checkpoint's stored bytes (`key` from system.pricing.checkpoints); NoCheckpoint when there is none,
        FilesUnavailable when the File Service cannot say."""
        response = await self._checkpoint_call("GET", key)
        if response.status_code == 404:
            raise NoCheckpoint(key)
        if response.status_code != 200:
            raise FilesUnavailable(f"File Service answered {response.status_code} for checkpoint {key}")
        return response.content

    async def keep_checkpoint(self, key: str, data: bytes) -> None:
        """Store a checkpoint under `key`; FilesUnavailable unless the File Service stored it."""
        response = await self._checkpoint_call("PUT", key, data)
        if response.status_code != 204:
            raise FilesUnavailable(f"File Service answered {response.status_code} storing checkpoint {key}")

    async def _checkpoint_call(self, method: str, key: str, data: bytes | None = None) -> httpx.Response:
        headers = self._auth() | ({"Content-Type": "application/json"} if data is not None else {})
        try:
            return await self.http.request(
                method, f"{self.base_url}/pricing-checkpoints/{key}", content=data, headers=headers
            )
        except httpx.HTTPError as exc:
            raise FilesUnavailable(f"File Service unreachable: {exc!r}") from exc

    def _auth(self, customer_id: uuid.UUID | None = None, order_id: uuid.UUID | None = None) -> dict[str, str]:
        """A service token for one call; acting for the customer whose order it is, where the call is about one."""
        token = issue_service_token(
            self.auth_secret, service=SERVICE, audience=AUDIENCE, acting_for=customer_id, order_id=order_id
        )
        return {"Authorization": f"Bearer {token}"}
