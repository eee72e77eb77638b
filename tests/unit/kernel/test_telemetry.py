"""Tracing set-up: who the spans say they come from, where a trace may start, and the client spans of SQL, HTTP
and S3 calls (in a process of its own: a tracer provider can be installed once per process)."""

from __future__ import annotations

import json
import os
import random
import re
import socket
import subprocess
import sys
from importlib import metadata
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from pipelines.paths import REPO_ROOT
from system.kernel.head_sampling import HeadSampler
from system.kernel.instrumentation import service_sampler
from system.kernel.telemetry import REPLICA_ENV, replica_id, service_resource


def recorder(**provider_options: Any) -> tuple[trace.Tracer, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(**provider_options)  # not the global one: other tests never see it
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("test"), exporter


def test_spans_name_the_service_its_version_and_the_replica(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REPLICA_ENV, "mes-2")
    tracer, exporter = recorder(resource=service_resource("mes"))
    with tracer.start_as_current_span("POST /orders", kind=SpanKind.SERVER):
        pass
    [span] = exporter.get_finished_spans()
    assert {k: span.resource.attributes[k] for k in ("service.name", "service.version", "service.instance.id")} == {
        "service.name": "mes",
        "service.version": metadata.version("order-system"),
        "service.instance.id": "mes-2",
    }


def test_a_replica_without_a_name_is_its_host_and_pid_and_a_pool_worker_adds_its_number(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(REPLICA_ENV, raising=False)
    assert replica_id() == f"{socket.gethostname()}:{os.getpid()}"
    assert replica_id(worker=3) == f"{socket.gethostname()}:{os.getpid()}/worker-3"
    monkeypatch.setenv(REPLICA_ENV, "pricing-1")
    assert service_resource("pricing", worker=0).attributes["service.instance.id"] == "pricing-1/worker-0"


def test_a_trace_starts_only_where_work_enters_a_process() -> None:
    tracer, exporter = recorder(sampler=service_sampler())
    for kind in SpanKind:
        with tracer.start_as_current_span(f"root {kind.name}", kind=kind):
            pass
    with (
        tracer.start_as_current_span("GET /orders", kind=SpanKind.SERVER),
        tracer.start_as_current_span("SELECT crm", kind=SpanKind.CLIENT),
    ):
        pass
    assert sorted(s.name for s in exporter.get_finished_spans()) == [
        "GET /orders",
        "SELECT crm",
        "root CONSUMER",
        "root PRODUCER",
        "root SERVER",
    ], "a client or internal span with no parent is a background chore (outbox polling, probes): dropped"


def test_an_unsampled_request_from_the_edge_is_recorded_at_no_hop_and_passes_the_decision_on() -> None:
    tracer, exporter = recorder(sampler=service_sampler())
    w3c = TraceContextTextMapPropagator()
    incoming = HeadSampler(0.0).headers()
    with tracer.start_as_current_span("POST /orders", context=w3c.extract(incoming), kind=SpanKind.SERVER) as server:
        assert not server.is_recording()
        with tracer.start_as_current_span("INSERT outbox", kind=SpanKind.CLIENT) as sql:
            assert not sql.is_recording()
        message: dict[str, str] = {}
        w3c.inject(message)  # what the outbox stores with the event
    assert message["traceparent"].split("-")[1] == incoming["traceparent"].split("-")[1], "the same trace id"
    assert message["traceparent"].endswith("-00"), "the next hop is told not to record either"
    with tracer.start_as_current_span("consume", context=w3c.extract(message), kind=SpanKind.CONSUMER) as consumer:
        assert not consumer.is_recording()
    assert exporter.get_finished_spans() == ()
    assert HeadSampler(1.0).headers() == {}, "a traced request carries nothing: the service starts its trace"


def test_the_head_sampler_leaves_its_ratio_of_requests_to_be_traced_with_fresh_valid_ids() -> None:
    sampler = HeadSampler(0.1, random.Random(5))
    drawn = [sampler.headers() for _ in range(10_000)]
    traced = sum(1 for h in drawn if not h)
    assert 900 <= traced <= 1100, traced
    ids = [h["traceparent"] for h in drawn if h]
    assert all(re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-00", i) for i in ids)
    assert len(set(ids)) == len(ids)
    assert all(h for h in (HeadSampler(0.0).headers() for _ in range(100)))
    with pytest.raises(ValueError, match="between 0 and 1"):
        HeadSampler(1.5)


@pytest.fixture(scope="module")
def traced_process() -> dict[str, Any]:
    env = {**os.environ, REPLICA_ENV: "crm-2"}
    done = subprocess.run(
        [sys.executable, "-m", "tests.unit.kernel.traced_process"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answer: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return answer


def test_setup_tracing_installs_one_provider_with_the_resource_and_every_instrumentor(
    traced_process: dict[str, Any],
) -> None:
    assert traced_process["same_provider"], "a second call returns the provider of the first"
    resource = traced_process["resource"]
    assert (resource["service.name"], resource["service.instance.id"]) == ("crm", "crm-2")
    assert resource["service.version"] == metadata.version("order-system")
    assert traced_process["instrumented"] == {
        "AioPikaInstrumentor": True,
        "HTTPXClientInstrumentor": True,
        "SQLAlchemyInstrumentor": True,  # refused by its version check unless told to skip it (SQLAlchemy 2.1)
        "BotocoreInstrumentor": True,
    }
    assert traced_process["service_engine_traced"], "make_engine's engines listen for statements to trace"


def test_sql_http_and_s3_calls_in_a_request_are_its_client_spans_and_background_calls_are_not_traced(
    traced_process: dict[str, Any],
) -> None:
    spans = traced_process["spans"]
    [request] = [s for s in spans if s["kind"] == "SERVER"]
    children = {(s["name"], s["kind"]) for s in spans if s["parent"] == request["span_id"]}
    assert {("SELECT", "CLIENT"), ("GET", "CLIENT"), ("S3.HeadBucket", "CLIENT")} <= children
    assert [s["statement"] for s in spans if s["statement"]] == ["SELECT 1"], "SELECT 2 ran outside any trace"
    [http_call] = [s for s in spans if s["name"] == "GET"]
    assert traced_process["traceparent"].split("-")[2] == http_call["span_id"], "the callee continues the client span"
    assert all(s["parent"] == request["span_id"] for s in spans if s is not request)
