"""The sink over HTTP: the real OTel SDK exports to it with the real OTLP/HTTP exporter (uvicorn on a free
localhost port); a test finds the order's trace by attribute, reads it back whole and draws it."""

from __future__ import annotations

import gzip
import socket
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from opentelemetry import propagate, trace
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanKind

from system.kernel.telemetry import service_resource
from system.tracesink.app import mount
from system.tracesink.model import Span, Trace
from system.tracesink.shape import check_shape
from system.tracesink.store import SpanStore

STARTUP_DEADLINE = 10.0


@dataclass
class Sink:
    url: str
    store: SpanStore
    http: httpx.Client


@pytest.fixture(scope="module")
def sink() -> Iterator[Sink]:
    store = SpanStore()
    server = uvicorn.Server(uvicorn.Config(mount(store), log_level="warning", lifespan="off"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_DEADLINE
    while not server.started:  # poll with a deadline: uvicorn sets `started` once it accepts connections
        assert thread.is_alive() and time.monotonic() < deadline, "the sink did not start"
        time.sleep(0.01)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with httpx.Client(base_url=url, timeout=5) as http:
        yield Sink(url, store, http)
    server.should_exit = True
    thread.join(STARTUP_DEADLINE)
    sock.close()


class Service:
    """One service's tracer provider, exporting each span to the sink as it ends (and recording it locally)."""

    def __init__(self, sink: Sink, name: str, compression: Compression = Compression.NoCompression) -> None:
        self.recorded = InMemorySpanExporter()
        self.provider = TracerProvider(resource=service_resource(name))
        self.exporter = OTLPSpanExporter(endpoint=f"{sink.url}/v1/traces", timeout=5, compression=compression)
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.provider.add_span_processor(SimpleSpanProcessor(self.recorded))
        self.tracer = self.provider.get_tracer(name)

    def close(self) -> None:
        self.provider.shutdown()


def carrier() -> dict[str, str]:
    headers: dict[str, str] = {}
    propagate.inject(headers)
    return headers


def place_order(sink: Sink, order_id: str) -> tuple[str, list[Service]]:
    """Shop -> CRM over HTTP, CRM -> pricing over a queue, a long job linked to its message; returns the trace id."""
    shop, crm, pricing = Service(sink, "shop"), Service(sink, "crm", Compression.Gzip), Service(sink, "pricing")
    with (
        shop.tracer.start_as_current_span("POST /orders", kind=SpanKind.SERVER) as root,
        shop.tracer.start_as_current_span("POST", kind=SpanKind.CLIENT),
    ):
        request = carrier()
    order = {"order.id": order_id}
    with (
        crm.tracer.start_as_current_span("POST /orders", propagate.extract(request), SpanKind.SERVER, order),
        crm.tracer.start_as_current_span("crm.events publish", kind=SpanKind.PRODUCER),
    ):
        message = carrier()
    origin = trace.get_current_span(propagate.extract(message)).get_span_context()
    with (
        pricing.tracer.start_as_current_span("pricing.requests process", propagate.extract(message), SpanKind.CONSUMER),
        pricing.tracer.start_as_current_span("pricing.job", links=[Link(origin)], attributes=order),
    ):
        pass
    return format(root.get_span_context().trace_id, "032x"), [shop, crm, pricing]


def test_an_order_exported_by_three_services_comes_back_whole(sink: Sink) -> None:
    order_id = str(uuid.uuid4())
    trace_id, services = place_order(sink, order_id)
    found = sink.http.get("/api/traces", params={"attribute": "order.id", "value": order_id}).json()["traces"]
    assert [(t["trace_id"], t["spans"], t["root"]) for t in found] == [(trace_id, 6, "shop POST /orders")]

    answer = sink.http.get(f"/api/traces/{trace_id}")
    assert answer.status_code == 200 and answer.json()["services"] == ["crm", "pricing", "shop"]
    received = {s["span_id"]: Span.from_dict(s) for s in answer.json()["spans"]}
    sent = [s for service in services for s in service.recorded.get_finished_spans()]
    assert len(received) == len(sent) == 6
    for original in sent:
        assert original.context is not None
        copy = received[format(original.context.span_id, "016x")]
        assert copy.name == original.name and copy.trace_id == trace_id
        assert copy.parent_span_id == (format(original.parent.span_id, "016x") if original.parent else None)
        assert [k.span_id for k in copy.links] == [format(k.context.span_id, "016x") for k in original.links]
        assert dict(copy.resource) == dict(original.resource.attributes)
        assert (copy.start_ns, copy.end_ns) == (original.start_time, original.end_time)

    trace_ = Trace(received.values())
    assert check_shape(trace_, {("shop", "crm"), ("crm", "pricing")}, linked_jobs=["pricing.job"], exact=True) == []
    for service in services:
        service.close()


def test_the_exporter_gets_an_answer_it_accepts(sink: Sink) -> None:
    service = Service(sink, "mes")
    with service.tracer.start_as_current_span("mes.pricing publish", kind=SpanKind.PRODUCER):
        pass
    assert service.exporter.export(service.recorded.get_finished_spans()) == SpanExportResult.SUCCESS
    service.close()


def test_the_waterfall_of_a_trace_is_an_svg_with_a_row_per_span(sink: Sink) -> None:
    trace_id, services = place_order(sink, str(uuid.uuid4()))
    picture = sink.http.get(f"/api/traces/{trace_id}/waterfall.svg")
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/svg+xml"
    svg = ET.fromstring(picture.content)
    assert len(svg.findall("{http://www.w3.org/2000/svg}g[@class='span']")) == 6
    for service in services:
        service.close()


def test_an_unknown_trace_is_a_404_problem(sink: Sink) -> None:
    for path in (f"/api/traces/{uuid.uuid4().hex}", "/api/traces/not-a-trace-id/waterfall.svg"):
        answer = sink.http.get(path)
        assert answer.status_code == 404 and answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == "trace-not-found"


def test_a_bad_body_is_a_400_problem_and_nothing_is_kept(sink: Sink) -> None:
    kept = len(sink.store)
    protobuf = {"content-type": "application/x-protobuf"}
    for body, headers in (
        (b"not a protobuf", protobuf),
        (b"not gzip", {**protobuf, "content-encoding": "gzip"}),
        (gzip.compress(b"\xff\xfe\x00"), {**protobuf, "content-encoding": "gzip"}),
    ):
        answer = sink.http.post("/v1/traces", content=body, headers=headers)
        assert answer.status_code == 400 and answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == "bad-export" and answer.json()["detail"]
    assert len(sink.store) == kept


def test_only_protobuf_is_read(sink: Sink) -> None:
    json_export = sink.http.post("/v1/traces", json={"resourceSpans": []})
    assert json_export.status_code == 415 and "protobuf" in json_export.json()["detail"]
    brotli = sink.http.post(
        "/v1/traces", content=b"", headers={"content-type": "application/x-protobuf", "content-encoding": "br"}
    )
    assert brotli.status_code == 415


def test_a_search_needs_both_attribute_and_value(sink: Sink) -> None:
    answer = sink.http.get("/api/traces", params={"attribute": "order.id"})
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    assert sink.http.get("/api/traces", params={"attribute": "order.id", "value": "nobody"}).json() == {"traces": []}
    assert len(sink.http.get("/api/traces", params={"limit": 1}).json()["traces"]) == 1


def test_the_sink_is_alive_and_does_not_trace_itself(sink: Sink) -> None:
    assert sink.http.get("/healthz").json() == {"status": "ok", "service": "tracesink"}
    assert sink.http.get("/api/traces", headers={"traceparent": f"00-{'a' * 32}-{'b' * 16}-01"}).status_code == 200
    assert sink.store.trace("a" * 32) is None
