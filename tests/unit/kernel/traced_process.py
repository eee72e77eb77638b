"""A service process in miniature, for tests/unit/kernel/test_telemetry.py: it calls `setup_tracing` (which can
run once per process, hence a process of its own), makes SQL, HTTP and S3 calls inside a request's span and
outside any, and prints what it traced as JSON."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import httpx
import sqlalchemy
from opentelemetry import trace
from opentelemetry.instrumentation.aio_pika import AioPikaInstrumentor
from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from system.kernel.db import make_engine
from system.kernel.telemetry import setup_tracing


class Echo(BaseHTTPRequestHandler):
    """Answers any GET with the traceparent it received, and any HEAD (an S3 HeadBucket) with 200."""

    def do_GET(self) -> None:
        body = (self.headers.get("traceparent") or "").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_HEAD(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # quiet: stdout carries the JSON answer
        pass


def main() -> None:
    exporter = InMemorySpanExporter()
    provider = setup_tracing("crm", exporter=exporter)
    again = setup_tracing("crm", exporter=InMemorySpanExporter())
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
    database = sqlalchemy.create_engine("sqlite://")
    service_engine = make_engine("postgresql+asyncpg://user:password@127.0.0.1:1/none")  # never connects
    tracer = trace.get_tracer("traced_process")
    with tracer.start_as_current_span("POST /orders", kind=trace.SpanKind.SERVER):
        with database.connect() as conn:
            conn.execute(sqlalchemy.text("SELECT 1"))
        traceparent = httpx.get(url).text
        s3.head_bucket(Bucket="models")
    with database.connect() as conn:  # a background chore: no trace of its own
        conn.execute(sqlalchemy.text("SELECT 2"))
    httpx.get(url)
    provider.force_flush()
    server.shutdown()
    botocore = BotocoreInstrumentor()  # type: ignore[no-untyped-call]
    instrumentors = (AioPikaInstrumentor(), HTTPXClientInstrumentor(), SQLAlchemyInstrumentor(), botocore)
    answer = {
        "same_provider": again is provider,
        "resource": dict(provider.resource.attributes),
        "instrumented": {type(i).__name__: i.is_instrumented_by_opentelemetry for i in instrumentors},
        "service_engine_traced": len(service_engine.sync_engine.dispatch.before_cursor_execute) > 0,
        "traceparent": traceparent,
        "spans": [
            {
                "name": s.name,
                "kind": s.kind.name,
                "span_id": format(s.context.span_id, "016x") if s.context else None,
                "parent": format(s.parent.span_id, "016x") if s.parent else None,
                "statement": (s.attributes or {}).get("db.statement"),
            }
            for s in exporter.get_finished_spans()
        ],
    }
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
