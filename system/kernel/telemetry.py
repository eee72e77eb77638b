"""Logs, traces and metrics for every process: JSON logs carrying trace/span ids, OTel tracing, Prometheus."""

from __future__ import annotations

import logging
import sys

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from pythonjsonlogger.json import JsonFormatter

_configured = False


def current_trace_id() -> str | None:
    """The current trace id as 32 hex digits, or None outside a trace."""
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else None


class TraceContextFilter(logging.Filter):
    """Adds the current trace and span ids to every record, so logs join up with traces."""

    def filter(self, record: logging.LogRecord) -> bool:
        ctx = trace.get_current_span().get_span_context()
        record.trace_id = current_trace_id()
        record.span_id = format(ctx.span_id, "016x") if ctx.is_valid else None
        return True


def setup_logging(service: str, level: str = "INFO", json_logs: bool = True) -> None:
    """Route all logging to stdout, as JSON lines with service, trace and span ids."""
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(TraceContextFilter())
    if json_logs:
        handler.setFormatter(
            JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", static_fields={"service": service})
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiormq").setLevel("WARNING")
    logging.getLogger("aio_pika").setLevel("WARNING")


def setup_tracing(
    service: str, otlp_endpoint: str | None = None, exporter: SpanExporter | None = None
) -> TracerProvider:
    """Install a tracer provider once per process; export over OTLP/HTTP only when an endpoint is set."""
    global _configured
    provider = trace.get_tracer_provider()
    if _configured and isinstance(provider, TracerProvider):
        return provider
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if exporter is None and otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=f"{otlp_endpoint.rstrip('/')}/v1/traces", timeout=2)
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _instrument_aio_pika()
    _configured = True
    return provider


def _instrument_aio_pika() -> None:
    from opentelemetry.instrumentation.aio_pika import AioPikaInstrumentor

    instrumentor = AioPikaInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()
