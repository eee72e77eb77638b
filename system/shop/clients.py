"""Clients of the services behind the Shop: CRM (accounts, orders), MES (production jobs), File Service (models)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from system.shop.remote import Reader, RemoteApi, ServiceError, propagate_trace, segment
from system.shop.schema import Account, Job, Login, ModelFile, Order, Position, Pricing, TimelineEntry, UploadTicket
from system.shop.settings import ShopSettings

CHUNK = 256 * 1024
__all__ = ["Clients", "CrmClient", "FilesClient", "MesClient", "ServiceError"]


class CrmClient:
    """Accounts and orders."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.api = RemoteApi("crm", http)

    async def ping(self) -> None:
        """Raise unless the CRM answers its liveness probe."""
        await self.api.call("GET", "/healthz")

    async def login(self, email: str, password: str) -> Login:
        """Exchange credentials for a bearer token and the account."""
        body = await self.api.call("POST", "/auth/login", json={"email": email, "password": password})
        return Login.model_validate(body)

    async def me(self, token: str) -> Account:
        """The signed-in account."""
        return Account.model_validate(await self.api.call("GET", "/me", token=token))

    async def place_order(self, token: str, lines: list[dict[str, Any]], idempotency_key: str) -> Order:
        """Place an order; the same key twice yields the same order, so a double click cannot order twice."""
        headers = {"Idempotency-Key": idempotency_key}
        body = await self.api.call("POST", "/orders", token=token, json={"lines": lines}, headers=headers)
        return Order.model_validate(body)

    async def orders(self, token: str, state: str | None = None) -> list[Order]:
        """Orders the caller may see (a customer: their own), optionally in one state."""
        params = {"state": state} if state else None
        body = await self.api.call("GET", "/orders", token=token, params=params)
        return [Order.model_validate(o) for o in body["items"]]

    async def stuck(self, token: str) -> list[Order]:
        """Orders that have stayed in a state longer than its limit (operators only)."""
        return [Order.model_validate(o) for o in (await self.api.call("GET", "/orders/stuck", token=token))["items"]]

    async def order(self, token: str, order_id: str) -> Order:
        """One order."""
        return Order.model_validate(await self.api.call("GET", f"/orders/{segment(order_id)}", token=token))

    async def timeline(self, token: str, order_id: str) -> list[TimelineEntry]:
        """Every state the order went through, oldest first."""
        body = await self.api.call("GET", f"/orders/{segment(order_id)}/timeline", token=token)
        return [TimelineEntry.model_validate(e) for e in body["items"]]

    async def position(self, token: str, order_id: str) -> Position:
        """Where an order is: state against its limit, who holds it, timeline, trace, dead letters (operators only)."""
        return Position.model_validate(await self.api.call("GET", f"/orders/{segment(order_id)}/position", token=token))

    async def act(self, token: str, order_id: str, action: str, body: dict[str, Any] | None = None) -> Order:
        """Confirm, cancel or deliver an order."""
        path = f"/orders/{segment(order_id)}/{segment(action)}"
        return Order.model_validate(await self.api.call("POST", path, token=token, json=body or {}))


class MesClient:
    """Production jobs (operators only)."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.api = RemoteApi("mes", http)

    async def jobs(self, token: str, state: str) -> list[Job]:
        """Production jobs in one state."""
        body = await self.api.call("GET", "/production-jobs", token=token, params={"state": state})
        return [Job.model_validate(j) for j in body["items"]]

    async def pricing(self, token: str, order_id: str) -> Pricing:
        """How far the pricing of the caller's order has come."""
        return Pricing.model_validate(await self.api.call("GET", f"/orders/{segment(order_id)}/pricing", token=token))

    async def act(self, token: str, job_id: str, action: str) -> Job:
        """Move a job on: start, complete, qc-pass, qc-fail or ship."""
        path = f"/production-jobs/{segment(job_id)}/{segment(action)}"
        return Job.model_validate(await self.api.call("POST", path, token=token))


class FilesClient:
    """Model files: the Shop relays the browser's bytes to the presigned URL(s) the File Service hands out.

    Every call carries the signed-in customer's own token: the File Service shows each account only its files.
    """

    def __init__(self, http: httpx.AsyncClient, upload_timeout: float) -> None:
        self.api = RemoteApi("files", http)
        self.upload_timeout = upload_timeout

    async def get(self, token: str, file_id: str) -> ModelFile:
        """Metadata of one of the caller's files (another account's is 404, as a missing one)."""
        return ModelFile.model_validate(await self.api.call("GET", f"/files/{segment(file_id)}", token=token))

    async def download(self, token: str, file_id: str, dest: Path, max_bytes: int) -> None:
        """Write one of the caller's files to `dest` (through the presigned URL the File Service gives); a file
        over `max_bytes` is refused with 413 before a byte of it is read."""
        answer = await self.api.call("GET", f"/files/{segment(file_id)}/download", token=token)
        try:
            async with self.api.http.stream("GET", answer["url"], timeout=self.upload_timeout) as response:
                if not response.is_success:
                    raise ServiceError(502, "download-failed", "The file store did not hand out the file.", "files")
                if int(response.headers.get("Content-Length", 0)) > max_bytes:
                    raise ServiceError(413, "too-large", "The model is too large to preview.", "shop")
                with dest.open("wb") as out:
                    async for chunk in response.aiter_bytes(CHUNK):
                        await asyncio.to_thread(out.write, chunk)  # off the loop: disks can stall
        except httpx.HTTPError as exc:
            raise ServiceError(503, "unavailable", "The file store is unreachable.", "files") from exc

    async def upload(self, token: str, filename: str, size: int, source: Reader) -> ModelFile:
        """Stream `size` bytes from `source` to the store and have the File Service validate them, for the caller."""
        body = await self.api.call("POST", "/files/uploads", token=token, json={"filename": filename, "size": size})
        ticket = UploadTicket.model_validate(body)
        parts: list[dict[str, Any]] = []
        if ticket.url is not None:
            await self._put(ticket.url, size, source)
        else:
            remaining = size
            for part in sorted(ticket.parts, key=lambda p: p.part_number):
                length = min(ticket.part_size, remaining)
                parts.append({"part_number": part.part_number, "etag": await self._put(part.url, length, source)})
                remaining -= length
        completed = await self.api.call("POST", ticket.complete_url, token=token, json={"parts": parts})
        return ModelFile.model_validate(completed)

    async def _put(self, url: str, length: int, source: Reader) -> str:
        async def chunks() -> AsyncIterator[bytes]:
            left = length
            while left > 0:
                chunk = await source.read(min(CHUNK, left))
                if not chunk:
                    raise ServiceError(400, "truncated", "The file ended before all of it arrived.", "shop")
                left -= len(chunk)
                yield chunk

        try:
            # An explicit length: S3 refuses chunked transfer encoding on presigned PUTs, and the URL is signed
            # for exactly this length.
            response = await self.api.http.put(
                url, content=chunks(), headers={"Content-Length": str(length)}, timeout=self.upload_timeout
            )
        except httpx.HTTPError as exc:
            raise ServiceError(503, "unavailable", "The file store is unreachable.", "files") from exc
        if not response.is_success:
            raise ServiceError(502, "upload-failed", "The file store did not accept the upload.", "files")
        return str(response.headers.get("ETag", ""))


@dataclass(frozen=True)
class Clients:
    """The three clients the Shop needs, built once per app."""

    crm: CrmClient
    mes: MesClient
    files: FilesClient

    @classmethod
    def build(cls, settings: ShopSettings, transport: httpx.AsyncBaseTransport | None = None) -> Clients:
        """Clients for the configured URLs; tests pass an in-memory `transport` standing in for the services."""

        def http(base_url: str) -> httpx.AsyncClient:
            return httpx.AsyncClient(
                base_url=base_url,
                timeout=settings.http_timeout_seconds,
                transport=transport,
                event_hooks={"request": [propagate_trace]},
            )

        return cls(
            crm=CrmClient(http(settings.crm_url)),
            mes=MesClient(http(settings.mes_url)),
            files=FilesClient(http(settings.files_url), settings.upload_timeout_seconds),
        )

    async def aclose(self) -> None:
        """Close the connection pools."""
        for api in (self.crm.api, self.mes.api, self.files.api):
            await api.http.aclose()
