"""Pricing checkpoints kept for the pricing workers: small JSON objects under `pricing-checkpoints/` in the bucket.

The File Service is the only service with S3 credentials (DESIGN.md, services and data ownership), so the
workers' orientation-search checkpoints (system/pricing/checkpoints.py) go through it. Only a service token of
the pricing workers may read or write them: a person's token, or another service's, gets 403. The content is
opaque here: a size limit, a key of a fixed shape (no path can be made of it), and the store's own expiry.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from prometheus_client import Counter

from system.files.deps import StoreDep, verified_caller
from system.kernel.auth import Principal, ServicePrincipal
from system.kernel.errors import Problem
from system.kernel.s3 import ObjectMissing

log = logging.getLogger(__name__)
PREFIX = "pricing-checkpoints/"
KEEP_DAYS = 30  # profiles and models change; an expired checkpoint only costs a slice again
MAX_BYTES = 16 * 1024  # one orientation's figures: a few hundred bytes
WRITER = "pricing"
CALLS = Counter("files_checkpoint_requests_total", "Pricing checkpoint reads and writes, by result", ["op", "result"])
for _op, _result in (("get", "hit"), ("get", "miss"), ("put", "stored")):
    CALLS.labels(_op, _result)

SearchKey = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="The search's digest (sha256, hex)")]
Orientation = Annotated[str, Path(pattern=r"^[a-z]+(-[a-z]+)*$", max_length=64, description="e.g. upside-down")]
PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid bearer token"},
    403: {"description": "Not a pricing worker's service token"},
}


def pricing_worker(verified: Annotated[Principal | ServicePrincipal, Depends(verified_caller)]) -> ServicePrincipal:
    """The caller, if it is a pricing worker; 403 problem+json for anyone else."""
    if not (isinstance(verified, ServicePrincipal) and verified.service == WRITER):
        raise Problem(403, "forbidden", "Only the pricing workers keep pricing checkpoints.")
    return verified


router = APIRouter(prefix="/pricing-checkpoints", tags=["pricing checkpoints"], dependencies=[Depends(pricing_worker)])


@router.get(
    "/{search}/{orientation}",
    responses={200: {"content": {"application/json": {}}}, 404: {"description": "No such checkpoint"}, **PROBLEMS},
    response_class=Response,
    summary="A stored checkpoint, as the worker stored it",
)
async def get_checkpoint(search: SearchKey, orientation: Orientation, store: StoreDep) -> Response:
    try:
        data = await store.get_bytes(f"{PREFIX}{search}/{orientation}")
    except ObjectMissing:
        CALLS.labels("get", "miss").inc()
        raise Problem(404, "not-found", "No such checkpoint.") from None
    CALLS.labels("get", "hit").inc()
    return Response(data, media_type="application/json")


@router.put(
    "/{search}/{orientation}",
    status_code=204,
    responses={413: {"description": f"Larger than {MAX_BYTES} bytes"}, **PROBLEMS},
    response_class=Response,
    summary="Store a checkpoint (replaces any under the same key: the content depends only on the key)",
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}},
)
async def put_checkpoint(search: SearchKey, orientation: Orientation, request: Request, store: StoreDep) -> Response:
    data = await _bounded_body(request)
    await store.put_bytes(f"{PREFIX}{search}/{orientation}", data)
    CALLS.labels("put", "stored").inc()
    log.info("pricing checkpoint stored", extra={"checkpoint": f"{search}/{orientation}", "bytes": len(data)})
    return Response(status_code=204)


async def _bounded_body(request: Request) -> bytes:
    """The request body, refused with 413 as soon as it passes MAX_BYTES (never read whole first)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BYTES:
            raise Problem(413, "too-large", f"A checkpoint is at most {MAX_BYTES} bytes.")
    if not body:
        raise Problem(422, "empty-body", "A checkpoint needs a body.")
    return bytes(body)
