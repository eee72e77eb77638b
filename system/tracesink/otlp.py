"""OTLP/HTTP protobuf in: an `ExportTraceServiceRequest` body decoded into our `Span`s."""

from __future__ import annotations

from typing import Any

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1 import trace_pb2

from system.tracesink.model import Link, Span

# What the sink answers to an export it accepted entirely (no partial_success to report).
EMPTY_RESPONSE = ExportTraceServiceResponse().SerializeToString()
UNKNOWN_SERVICE = "unknown_service"  # the SDK's own default when no service.name is set


class BadExport(ValueError):
    """The body is not an OTLP trace export we can read."""


def decode_export(body: bytes) -> list[Span]:
    """The spans of one OTLP/HTTP trace export (protobuf); BadExport when the body is not one."""
    try:
        request = ExportTraceServiceRequest.FromString(body)
    except DecodeError as exc:
        raise BadExport(f"not an OTLP ExportTraceServiceRequest: {exc}") from exc
    spans = []
    for resource_spans in request.resource_spans:
        resource = attributes(resource_spans.resource.attributes)
        service = str(resource.get("service.name") or UNKNOWN_SERVICE)
        for scope_spans in resource_spans.scope_spans:
            spans += [_span(s, service, resource) for s in scope_spans.spans]
    return spans


def _span(span: trace_pb2.Span, service: str, resource: dict[str, Any]) -> Span:
    return Span(
        trace_id=_id(span.trace_id, 16, "trace_id"),
        span_id=_id(span.span_id, 8, "span_id"),
        parent_span_id=_id(span.parent_span_id, 8, "parent_span_id") if span.parent_span_id else None,
        name=span.name,
        kind=trace_pb2.Span.SpanKind.Name(span.kind).removeprefix("SPAN_KIND_").lower(),
        service=service,
        start_ns=span.start_time_unix_nano,
        end_ns=span.end_time_unix_nano,
        status=trace_pb2.Status.StatusCode.Name(span.status.code).removeprefix("STATUS_CODE_").lower(),
        status_message=span.status.message,
        attributes=attributes(span.attributes),
        resource=resource,
        links=tuple(Link(_id(k.trace_id, 16, "link trace_id"), _id(k.span_id, 8, "link span_id")) for k in span.links),
    )


def _id(raw: bytes, size: int, what: str) -> str:
    if len(raw) != size:
        raise BadExport(f"{what} must be {size} bytes, got {len(raw)}")
    return raw.hex()


def attributes(pairs: Any) -> dict[str, Any]:
    """OTLP key-values as a plain dict of JSON values."""
    return {kv.key: value(kv.value) for kv in pairs}


def value(v: AnyValue) -> Any:
    """One OTLP AnyValue as a JSON value (bytes become hex text)."""
    match v.WhichOneof("value"):
        case "string_value":
            return v.string_value
        case "bool_value":
            return v.bool_value
        case "int_value":
            return v.int_value
        case "double_value":
            return v.double_value
        case "array_value":
            return [value(item) for item in v.array_value.values]
        case "kvlist_value":
            return attributes(v.kvlist_value.values)
        case "bytes_value":
            return v.bytes_value.hex()
        case _:
            return None
