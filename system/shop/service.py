"""The Shop's use cases: each takes the clients it needs and returns what a page shows."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import UploadFile

from system.mesh import InvalidModel, load_model
from system.mesh.stl_write import stl_bytes
from system.shop.clients import Clients, CrmClient, FilesClient, MesClient, ServiceError
from system.shop.forms import LineDraft
from system.shop.schema import Job, ModelFile, Order, Pricing, TimelineEntry

log = logging.getLogger(__name__)
CONSOLE_STATES = ("queued", "printing", "qc", "passed")


@dataclass(frozen=True)
class Console:
    """What an operator sees: active jobs by state, shipped orders to mark delivered, stuck orders."""

    jobs: dict[str, list[Job]]
    shipped: list[Order]
    stuck: list[Order]


async def upload_model(files: FilesClient, token: str, upload: UploadFile, max_bytes: int) -> ModelFile:
    """Relay a browser upload to the File Service, for the signed-in customer, and return the validated file."""
    size = upload.size
    if size is None:  # not every multipart parser records it; the spooled file knows
        upload.file.seek(0, 2)
        size = upload.file.tell()
        upload.file.seek(0)
    if size > max_bytes:
        # Say no before S3 sees a byte; the File Service would refuse it after all anyway.
        raise ServiceError(413, "too-large", f"The file is {size:,} bytes; the limit is {max_bytes:,}.", "shop")
    return await files.upload(token, upload.filename or "model", size, upload)


async def drafts_for(
    files: FilesClient, token: str, file_ids: list[str], names: list[str] | None = None
) -> list[LineDraft]:
    """New-order lines for the customer's files uploaded earlier (the page without JavaScript carries their ids in
    its URL, and the names given this time: the same bytes uploaded again keep their first upload's name)."""
    named = dict(zip(file_ids, names_for(file_ids, names or []), strict=True))
    found = await asyncio.gather(*(files.get(token, i) for i in dict.fromkeys(file_ids)))
    return [LineDraft.of_file(f, named.get(f.id)) for f in found]


def names_for(file_ids: list[str], names: list[str]) -> list[str]:
    """The customer's name of each file, position by position; empty ones (the File Service's name is used)
    when the lists do not pair up, e.g. a link written before names were carried."""
    return names if len(names) == len(file_ids) else [""] * len(file_ids)


async def place_order(crm: CrmClient, token: str, lines: list[LineDraft], idempotency_key: str) -> Order:
    """Place the order; the key makes a repeated submission of the same form return the same order."""
    return await crm.place_order(token, [line.payload() for line in lines], idempotency_key)


async def order_with_timeline(crm: CrmClient, token: str, order_id: str) -> tuple[Order, list[TimelineEntry]]:
    """An order and its timeline, the timeline read after the order, so it holds the entry of the order's state.

    Fetched concurrently, the timeline could predate the order's last move (an e2e run caught it: the factory
    accepted a cancellation during the redirect). The page then showed a cancelled order whose timeline still
    ended at "cancellation requested", and a final order is not polled, so it stayed that way.
    """
    order = await crm.order(token, order_id)
    return order, await crm.timeline(token, order_id)


async def pricing_of(mes: MesClient, token: str, order: Order) -> Pricing | None:
    """How far a pricing order's quote has come; None for other states, or when the factory cannot say just now
    (the page then shows a spinner without a bar: progress is a courtesy, the quote arrives either way)."""
    if order.state != "pricing":
        return None
    try:
        return await mes.pricing(token, order.id)
    except ServiceError as exc:
        log.warning("pricing progress unavailable: %s", exc, extra={"order_id": order.id})
        return None


async def preview_stl(files: FilesClient, token: str, file_id: str, max_bytes: int) -> bytes:
    """One of the caller's models as a binary STL for the browser's 3D preview (3MF files too: converted here)."""
    with tempfile.TemporaryDirectory(prefix="shop-preview-") as folder:
        path = Path(folder) / "model"
        await files.download(token, file_id, path, max_bytes)
        try:
            triangles, _ = await asyncio.to_thread(load_model, path, max_bytes=max_bytes)
        except InvalidModel as exc:  # it passed the File Service's checks, so this is unlikely, but not a 500
            raise ServiceError(422, exc.code, exc.detail, "shop") from exc
        return await asyncio.to_thread(stl_bytes, triangles, b"preview")


async def my_orders(crm: CrmClient, token: str) -> list[Order]:
    """The caller's orders, newest first."""
    return sorted(await crm.orders(token), key=lambda o: o.created_at, reverse=True)


async def console(clients: Clients, token: str) -> Console:
    """Everything on the operator console, fetched concurrently."""
    jobs, shipped, stuck = await asyncio.gather(
        asyncio.gather(*(clients.mes.jobs(token, s) for s in CONSOLE_STATES)),
        clients.crm.orders(token, state="shipped"),
        _stuck(clients.crm, token),
    )
    by_state = {s: sorted(found, key=lambda j: j.created_at) for s, found in zip(CONSOLE_STATES, jobs, strict=True)}
    return Console(jobs=by_state, shipped=sorted(shipped, key=lambda o: o.updated_at), stuck=stuck)


async def _stuck(crm: CrmClient, token: str) -> list[Order]:
    # A hint for operators, not their work list: the console still works when this one query fails.
    return await stuck_or_none(crm, token) or []


async def stuck_or_none(crm: CrmClient, token: str) -> list[Order] | None:
    """The stuck orders, longest in their state first; None when the CRM cannot list them right now."""
    try:
        return await crm.stuck(token)
    except ServiceError as err:
        if err.status == 401:
            raise
        log.warning("stuck orders unavailable: %s", err)
        return None
