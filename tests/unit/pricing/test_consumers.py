"""The pricing handler run by the kernel Consumer: results published with confirms before the ack, retries."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY

from system.kernel.messaging.catalogue import PricingCompleted, PricingFailed, PricingProgress, PricingRequested
from system.kernel.messaging.consumer import ATTEMPT_HEADER, Consumer
from system.kernel.messaging.envelope import Envelope
from system.kernel.messaging.inbox import StatelessInbox
from system.kernel.messaging.queues import PRICING_REQUESTS
from system.pricing.consumers import CANCELLED, event_id, handlers
from system.pricing.ports import FilesUnavailable, Progress
from system.pricing.running import RunningJobs
from system.pricing.service import Outcome, price_line
from tests.fixtures import meshes
from tests.unit.kernel.fakes import FakePublisher
from tests.unit.pricing.fakes import FakeModels, FakeSlicer, RecordingMessage, engine, pricing_request


@dataclass
class ProgressRefusingPublisher(FakePublisher):
    """A broker that confirms everything except progress updates."""

    async def publish(self, exchange: str, routing_key: str, body: bytes, **kwargs: Any) -> None:
        if routing_key == "pricing.progress":
            raise ConnectionError("no confirm")
        await super().publish(exchange, routing_key, body, **kwargs)


class Worker:
    """One pricing worker as wired in app.py, with a fake broker and an in-memory File Service."""

    def __init__(self, tmp_path: Path, publisher: FakePublisher | None = None) -> None:
        self.models = FakeModels()
        self.publisher = publisher or FakePublisher()
        self.cube_id, self.cube_sha = self.models.add(meshes.write_cube_binary(tmp_path / "cube.stl", 50.0))
        self.slicer = FakeSlicer()
        priced = engine(self.models.fetch, slicer=self.slicer)

        async def price(request: PricingRequested, progress: Progress) -> Outcome:
            return await price_line(request, priced, progress)

        self.jobs = RunningJobs()
        table = handlers(self.publisher, price, self.jobs)
        self.consumer = Consumer(
            PRICING_REQUESTS, StatelessInbox(), table, self.publisher, prefetch=1, batch_size=1, concurrency=1,
            sleep=self.wait,
        )  # fmt: skip
        self.waits: list[float] = []

    async def wait(self, seconds: float) -> None:
        self.waits.append(seconds)  # the backoff, recorded instead of waited out

    def request_envelope(self, **line: Any) -> Envelope:
        request = pricing_request(self.cube_id, self.cube_sha, **line)
        return Envelope.wrap(request, type="pricing.requested", producer="mes", correlation_id=str(request.order_id))

    async def deliver(self, envelope: Envelope, headers: dict[str, Any] | None = None) -> RecordingMessage:
        message = RecordingMessage(
            body=envelope.to_bytes(),
            headers=headers or {},
            message_id=str(envelope.message_id),
            type=envelope.type,
            publisher=self.publisher,
        )
        await self.consumer.process([message])  # type: ignore[list-item]
        await self.consumer.backoffs_done()
        return message

    def events(self) -> list[Envelope]:
        return [Envelope.from_bytes(p.body) for p in self.publisher.sent if p.exchange == "pricing.events"]


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()


def jobs(outcome: str) -> float:
    return REGISTRY.get_sample_value("pricing_jobs_total", {"outcome": outcome}) or 0.0


async def test_a_priced_line_is_published_as_completed_before_the_request_is_acked(tmp_path: Path) -> None:
    worker = Worker(tmp_path)
    incoming = worker.request_envelope()
    before = jobs("completed")
    message = await worker.deliver(incoming)
    *progress, result = worker.events()
    assert [p.routing_key for p in worker.publisher.sent] == ["pricing.progress"] * len(progress) + [
        "pricing.completed"
    ]
    updates = [PricingProgress.model_validate(e.payload) for e in progress]
    assert [(u.percent, u.stage) for u in updates] == [
        (10.0, "geometry measured"),
        (99.0, "as uploaded: sliced (1 of 1)"),
    ], "the slicer's own lines within the first second are left out"
    completed = PricingCompleted.model_validate(result.payload)
    request = PricingRequested.model_validate(incoming.payload)
    assert (completed.job_id, completed.line_id, str(completed.total_price)) == (
        request.job_id,
        request.line.line_id,
        "17.88",
    )
    assert (result.type, result.producer, result.correlation_id) == (
        "pricing.completed",
        "pricing",
        str(request.order_id),
    )
    assert result.causation_id == incoming.message_id
    assert message.acked and message.published_at_ack == len(progress) + 1, "the result is confirmed before the ack"
    assert jobs("completed") - before == 1


async def test_an_unpriceable_line_is_published_as_failed_with_its_reason(tmp_path: Path) -> None:
    worker = Worker(tmp_path)
    before = jobs("failed")
    message = await worker.deliver(worker.request_envelope(material="resin", process="sls"))
    [result] = [e for e in worker.events() if e.type != "pricing.progress"]
    assert worker.publisher.sent[-1].routing_key == "pricing.failed"
    assert PricingFailed.model_validate(result.payload).reason.startswith("resin cannot be printed with SLS")
    assert message.acked and jobs("failed") - before == 1


async def test_a_transient_failure_publishes_nothing_and_is_retried_after_the_first_backoff(tmp_path: Path) -> None:
    worker = Worker(tmp_path)
    worker.models.failure = FilesUnavailable("File Service answered 503")
    before = jobs("error")
    message = await worker.deliver(worker.request_envelope())
    [retry] = worker.publisher.sent
    assert (retry.exchange, retry.routing_key) == ("", "pricing.requests") and worker.waits == [1.0]
    assert retry.headers[ATTEMPT_HEADER] == 1 and "File Service answered 503" in retry.headers["x-last-error"]
    assert message.acked and jobs("error") - before == 1

    worker.models.failure = None  # the File Service is back when the retry comes round
    await worker.deliver(Envelope.from_bytes(retry.body), retry.headers)
    assert worker.publisher.sent[-1].routing_key == "pricing.completed"


async def test_a_redelivered_job_gives_the_same_result_under_the_same_message_id(tmp_path: Path) -> None:
    worker = Worker(tmp_path)
    incoming = worker.request_envelope()
    await worker.deliver(incoming)
    await worker.deliver(incoming)
    first, second = [e for e in worker.events() if e.type == "pricing.completed"]
    assert first.message_id == second.message_id == event_id(uuid.UUID(incoming.payload["job_id"]), "pricing.completed")
    assert first.payload == second.payload


async def test_when_the_result_is_not_confirmed_the_request_is_not_acked(tmp_path: Path) -> None:
    worker = Worker(tmp_path, FakePublisher(failing=True))
    message = await worker.deliver(worker.request_envelope())
    assert message.nacked and not message.acked, "the broker redelivers it; no result is lost"


async def test_unconfirmed_progress_does_not_fail_the_job(tmp_path: Path) -> None:
    worker = Worker(tmp_path, ProgressRefusingPublisher())
    message = await worker.deliver(worker.request_envelope())
    assert [p.routing_key for p in worker.publisher.sent] == ["pricing.completed"]
    assert message.acked


async def test_each_job_has_a_span_and_the_result_carries_its_trace_context(
    tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    worker = Worker(tmp_path)
    incoming = worker.request_envelope()
    await worker.deliver(incoming)
    [job] = [s for s in spans.get_finished_spans() if s.name == "pricing.job"]
    assert job.attributes is not None
    assert job.attributes["pricing.job.id"] == incoming.payload["job_id"]
    assert job.attributes["pricing.outcome"] == "completed"
    assert job.context is not None
    traceparent = worker.publisher.sent[-1].headers["traceparent"]
    assert traceparent.split("-")[1:3] == [format(job.context.trace_id, "032x"), format(job.context.span_id, "016x")]


async def test_a_job_stays_in_the_order_s_trace_and_links_to_the_message_that_started_it(
    tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    trace_id, message_span = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"  # MES's publish span
    worker = Worker(tmp_path)
    await worker.deliver(worker.request_envelope(), headers={"traceparent": f"00-{trace_id}-{message_span}-01"})
    finished = {s.name: s for s in spans.get_finished_spans() if s.context and s.context.trace_id == int(trace_id, 16)}
    job, consumer = finished["pricing.job"], finished["pricing.requests process"]
    assert consumer.parent is not None and format(consumer.parent.span_id, "016x") == message_span
    assert job.parent is not None and consumer.context is not None and job.parent.span_id == consumer.context.span_id
    assert [(format(k.context.trace_id, "032x"), format(k.context.span_id, "016x")) for k in job.links] == [
        (trace_id, message_span)
    ]


async def test_a_job_from_a_message_without_trace_context_has_no_link(
    tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    worker = Worker(tmp_path)
    incoming = worker.request_envelope()
    await worker.deliver(incoming)
    [job] = [
        s
        for s in spans.get_finished_spans()
        if s.name == "pricing.job" and s.attributes and s.attributes.get("pricing.job.id") == incoming.payload["job_id"]
    ]
    assert list(job.links) == []


async def test_cancelling_the_order_stops_its_running_job_and_says_why(tmp_path: Path) -> None:
    worker = Worker(tmp_path)
    worker.slicer.hang = True  # a long slice, still running when the customer cancels
    incoming = worker.request_envelope()
    order_id = uuid.UUID(incoming.payload["order_id"])
    delivery = asyncio.create_task(worker.deliver(incoming))
    await asyncio.wait_for(worker.slicer.started.wait(), timeout=10)
    worker.jobs.cancel(order_id)
    message = await asyncio.wait_for(delivery, timeout=10)
    result = worker.events()[-1]
    assert result.type == "pricing.failed" and PricingFailed.model_validate(result.payload).reason == CANCELLED
    assert message.acked, "a stopped job is settled, not redelivered"


async def test_a_job_of_an_order_already_cancelled_is_not_started(tmp_path: Path) -> None:
    worker = Worker(tmp_path)
    incoming = worker.request_envelope()
    worker.jobs.cancel(uuid.UUID(incoming.payload["order_id"]))
    message = await worker.deliver(incoming)
    assert not worker.slicer.started.is_set() and worker.models.fetched == []
    assert worker.events() == [] and message.acked, "MES stopped the order's jobs itself: nothing to answer"


async def test_cancelling_another_order_leaves_the_job_running(tmp_path: Path) -> None:
    worker = Worker(tmp_path)
    worker.jobs.cancel(uuid.uuid4())
    await worker.deliver(worker.request_envelope())
    assert worker.events()[-1].type == "pricing.completed"
