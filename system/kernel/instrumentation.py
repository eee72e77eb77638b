"""What gets traced: where a trace may start (the sampler) and which libraries emit spans (the instrumentors)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from opentelemetry.context import Context
from opentelemetry.sdk.trace.sampling import Decision, ParentBased, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

if TYPE_CHECKING:  # the instrumentation packages take half a second to import: only processes that trace pay it
    from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]

log = logging.getLogger(__name__)


class EntryPointsOnly(Sampler):
    """Starts a trace only where work enters a process: a request (server), a message (consumer) or a publish.

    A client or internal span without a parent is a background chore (the outbox relay polls every 50 ms,
    readiness probes, the upload sweeper): sampled, each would be a one-span trace flooding the backend.
    Used as the root sampler of `ParentBased`, so spans inside a trace are always kept.
    """

    ENTRY_KINDS = frozenset({SpanKind.SERVER, SpanKind.CONSUMER, SpanKind.PRODUCER})

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        """Record and sample entry spans, drop the rest."""
        if kind in self.ENTRY_KINDS:
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, trace_state)
        return SamplingResult(Decision.DROP, None, trace_state)

    def get_description(self) -> str:
        """The sampler's name in diagnostics."""
        return "EntryPointsOnly"


def service_sampler() -> Sampler:
    """Every service's sampler: follow the caller's decision (head sampling at the edge), else start at entry points."""
    return ParentBased(EntryPointsOnly())


def instrument_libraries(*, clients: bool = True) -> None:
    """Spans for AMQP publish/consume and, if `clients`, for httpx, SQLAlchemy and botocore calls; once per process."""
    from opentelemetry.instrumentation.aio_pika import AioPikaInstrumentor

    _instrument(AioPikaInstrumentor())
    if not clients:
        return
    from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    _instrument(HTTPXClientInstrumentor())  # every client: a client span, and traceparent to the callee
    # S3 calls, under the File Service's own "s3 <op>" spans.
    _instrument(BotocoreInstrumentor())  # type: ignore[no-untyped-call]
    # It declares sqlalchemy < 2.1 and would silently refuse our 2.1; it only listens to engine events, which 2.1
    # keeps (tests/unit/kernel/test_telemetry.py sees its spans). It traces engines created after this call.
    _instrument(SQLAlchemyInstrumentor(), skip_dep_check=True)


def _instrument(instrumentor: BaseInstrumentor, **options: Any) -> None:
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(**options)
    if not instrumentor.is_instrumented_by_opentelemetry:  # a version check refused it: it says so only in a log
        log.error("%s is not active: its version does not match the library's", type(instrumentor).__name__)
