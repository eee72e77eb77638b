"""The sink's HTTP API: OTLP/HTTP in, traces out as JSON and as waterfall pictures, search by span attribute."""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Callable
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Query, Request, Response

from system.kernel.errors import Problem
from system.tracesink.model import Trace
from system.tracesink.otlp import EMPTY_RESPONSE, BadExport, decode_export
from system.tracesink.store import SpanStore
from system.tracesink.waterfall import render

PROTOBUF = ("application/x-protobuf", "application/protobuf")
TRACE_ID = re.compile(r"[0-9a-fA-F]{32}")
# The exporter compresses as OTEL_EXPORTER_OTLP_COMPRESSION says.
DECODERS: dict[str, Callable[[bytes], bytes]] = {"gzip": gzip.decompress, "deflate": zlib.decompress}
router = APIRouter(tags=["traces"])


def _store(request: Request) -> SpanStore:
    return cast(SpanStore, request.app.state.store)


StoreDep = Annotated[SpanStore, Depends(_store)]


@router.post(
    "/v1/traces",
    summary="Receive an OTLP/HTTP trace export (protobuf)",
    response_class=Response,
    responses={
        200: {"content": {PROTOBUF[0]: {}}, "description": "An empty ExportTraceServiceResponse"},
        400: {"description": "Not an OTLP trace export (or not the compression it claims)"},
        415: {"description": "Not protobuf, or compressed other than with gzip or deflate"},
    },
    openapi_extra={"requestBody": {"required": True, "content": {PROTOBUF[0]: {"schema": {"format": "binary"}}}}},
)
async def receive(request: Request, store: StoreDep) -> Response:
    """Keep the spans of one export; a body that is not an OTLP protobuf export is a 400."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type not in PROTOBUF:
        raise Problem(415, "unsupported-media-type", "OTLP/HTTP protobuf only (Content-Type: application/x-protobuf).")
    body = await request.body()
    encoding = request.headers.get("content-encoding", "identity").lower()
    if encoding not in (*DECODERS, "identity"):
        raise Problem(415, "unsupported-media-type", f"Content-Encoding {encoding!r}: only gzip and deflate are read.")
    try:
        spans = decode_export(DECODERS[encoding](body) if encoding in DECODERS else body)
    except (BadExport, OSError, EOFError, zlib.error) as exc:
        raise Problem(400, "bad-export", str(exc)) from exc
    store.add(spans)
    return Response(EMPTY_RESPONSE, media_type=PROTOBUF[0])


@router.get("/api/traces", summary="Find traces by a span attribute, or list the latest")
async def find(
    store: StoreDep,
    attribute: Annotated[str | None, Query(description="A span or resource attribute, e.g. order.id")] = None,
    value: Annotated[str | None, Query(description="The value it must read (as text)")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 20,
) -> dict[str, Any]:
    """Summaries of the traces with a span whose `attribute` reads `value` (newest first); without both, the latest."""
    if (attribute is None) != (value is None):
        raise Problem(422, "validation-error", "Give both `attribute` and `value`, or neither.")
    traces = store.search(attribute, value, limit) if attribute and value is not None else store.recent(limit)
    return {"traces": [t.summary() for t in traces]}


@router.get("/api/traces/{trace_id}", summary="One trace's spans", responses={404: {"description": "No such trace"}})
async def spans(trace_id: str, store: StoreDep) -> dict[str, Any]:
    """Every span of the trace, earliest first, as the sink received them."""
    trace = _trace(store, trace_id)
    return {**trace.summary(), "spans": [s.to_dict() for s in trace.spans]}


@router.get(
    "/api/traces/{trace_id}/waterfall.svg",
    summary="One trace as a waterfall picture",
    response_class=Response,
    responses={
        200: {"content": {"image/svg+xml": {}}, "description": "An SVG document"},
        404: {"description": "No such trace"},
    },
)
async def waterfall(trace_id: str, store: StoreDep) -> Response:
    """The trace drawn as an SVG waterfall (one row per span)."""
    return Response(render(_trace(store, trace_id)), media_type="image/svg+xml")


def _trace(store: SpanStore, trace_id: str) -> Trace:
    if not TRACE_ID.fullmatch(trace_id):
        raise Problem(404, "trace-not-found", f"{trace_id!r} is not a trace id (32 hex digits).")
    trace = store.trace(trace_id)
    if trace is None:
        raise Problem(404, "trace-not-found", f"No trace {trace_id.lower()} here (never received, or evicted).")
    return trace
