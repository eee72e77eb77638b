"""Decoding OTLP: spans encoded by the real OTel SDK's encoder come back with their ids, parents, links and values."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ProtoSpan
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue

from system.tracesink.otlp import UNKNOWN_SERVICE, BadExport, decode_export


def recorded(resource: dict[str, str]) -> tuple[trace.Tracer, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create(resource))  # not the global one: nothing else sees it
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("test"), exporter


def export_body(spans: tuple[ReadableSpan, ...]) -> bytes:
    body: bytes = encode_spans(spans).SerializeToString()
    return body


def test_a_decoded_span_keeps_ids_parent_kind_status_links_and_typed_values() -> None:
    tracer, exporter = recorded({"service.name": "pricing", "service.instance.id": "pricing-1/worker-0"})
    with tracer.start_as_current_span("mes.pricing publish", kind=SpanKind.PRODUCER) as message:
        pass
    values: dict[str, AttributeValue] = {
        "order.id": "o-1",
        "pricing.quantity": 3,
        "ratio": 0.5,
        "hit": True,
        "tags": ["a", "b"],
    }
    with (
        tracer.start_as_current_span("pricing.requests process", kind=SpanKind.CONSUMER) as parent,
        tracer.start_as_current_span("pricing.job", links=[Link(message.get_span_context())], attributes=values) as job,
    ):
        job.set_status(Status(StatusCode.ERROR, "model unreadable"))
    spans = {s.name: s for s in decode_export(export_body(exporter.get_finished_spans()))}
    decoded = spans["pricing.job"]
    assert decoded.trace_id == format(job.get_span_context().trace_id, "032x")
    assert decoded.span_id == format(job.get_span_context().span_id, "016x")
    assert decoded.parent_span_id == format(parent.get_span_context().span_id, "016x")
    assert spans["pricing.requests process"].parent_span_id is None
    assert [(k.trace_id, k.span_id) for k in decoded.links] == [
        (format(message.get_span_context().trace_id, "032x"), format(message.get_span_context().span_id, "016x"))
    ]
    assert (decoded.kind, spans["mes.pricing publish"].kind, spans["pricing.requests process"].kind) == (
        "internal",
        "producer",
        "consumer",
    )
    assert (decoded.status, decoded.status_message) == ("error", "model unreadable")
    assert dict(decoded.attributes) == values
    assert decoded.service == "pricing" and decoded.resource["service.instance.id"] == "pricing-1/worker-0"
    assert decoded.resource["telemetry.sdk.language"] == "python"
    assert 0 < decoded.start_ns <= decoded.end_ns


def test_spans_of_a_process_without_a_service_name_are_kept_under_unknown_service() -> None:
    body = ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(scope_spans=[ScopeSpans(spans=[ProtoSpan(trace_id=b"\x01" * 16, span_id=b"\x02" * 8)])])
        ]
    ).SerializeToString()
    [span] = decode_export(body)
    assert (span.service, span.trace_id, span.span_id, span.kind) == (
        UNKNOWN_SERVICE,
        "01" * 16,
        "02" * 8,
        "unspecified",
    )


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not a protobuf", "not an OTLP ExportTraceServiceRequest"),
        (b'{"resourceSpans": []}', "not an OTLP ExportTraceServiceRequest"),
        (
            ExportTraceServiceRequest(
                resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=[ProtoSpan(trace_id=b"\x01" * 3)])])]
            ).SerializeToString(),
            "trace_id must be 16 bytes, got 3",
        ),
    ],
)
def test_a_body_that_is_not_an_otlp_export_is_refused(body: bytes, reason: str) -> None:
    with pytest.raises(BadExport, match=reason):
        decode_export(body)


def test_an_empty_export_has_no_spans() -> None:
    assert decode_export(b"") == []
