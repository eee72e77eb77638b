"""The stack's trace sink from the tests: an order's traces, their shape, and waterfalls attached to Allure.

Every service of the stack exports OTLP to system/tracesink; this plugin reads it back over HTTP. Flow and e2e
tests get the waterfall of every multi-service trace that started during the test attached to their Allure
result, so QA sees where an order's time went without any other tool.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import allure
import httpx
import pytest

from system.stack.settings import StackSettings
from system.tracesink.model import Span, Trace

ATTACHED_PER_TEST = 6  # the biggest traces of a test; a flow test makes a handful, a chaos run thousands


class TraceSink:
    """A client of the stack's trace sink."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=10)

    def reachable(self) -> bool:
        try:
            return self.http.get("/healthz").status_code == 200
        except httpx.HTTPError:
            return False

    def of_order(self, order_id: str) -> list[Trace]:
        """Every trace with a span about `order_id` (attribute order.id), newest first."""
        found = self.http.get("/api/traces", params={"attribute": "order.id", "value": order_id, "limit": 50})
        found.raise_for_status()
        return [self.trace(t["trace_id"]) for t in found.json()["traces"]]

    def trace(self, trace_id: str) -> Trace:
        body = self.http.get(f"/api/traces/{trace_id}")
        body.raise_for_status()
        return Trace(Span.from_dict(s) for s in body.json()["spans"])

    def waterfall(self, trace_id: str) -> str:
        return self.http.get(f"/api/traces/{trace_id}/waterfall.svg").text

    def started_since(self, start_ns: int) -> list[dict[str, Any]]:
        """Summaries of the latest traces that started at or after `start_ns`."""
        latest = self.http.get("/api/traces", params={"limit": 200}).json()["traces"]
        return [t for t in latest if t["start_ns"] >= start_ns]

    def wait_for(self, order_id: str, fits: Callable[[Trace], bool], within: float, what: str) -> Trace:
        """Poll until one of the order's traces `fits`; fail naming what the sink holds for it."""
        deadline = time.monotonic() + within
        while True:
            traces = self.of_order(order_id)
            for candidate in traces:
                if fits(candidate):
                    return candidate
            if time.monotonic() > deadline:
                held = [t.summary() for t in traces]
                pytest.fail(f"no trace of order {order_id} with {what} within {within:.0f}s; the sink holds {held}")
            time.sleep(0.2)

    def attach(self, trace_id: str, name: str) -> None:
        """The trace's waterfall as an SVG attachment of the current Allure result."""
        allure.attach(self.waterfall(trace_id), name=name, attachment_type=allure.attachment_type.SVG)


@pytest.fixture(scope="session")
def trace_sink() -> Iterator[TraceSink]:
    """The stack's trace sink."""
    sink = TraceSink(StackSettings().otlp_endpoint)
    yield sink
    sink.http.close()


def _settled(sink: TraceSink, start_ns: int, quiet_s: float, within: float = 10.0) -> list[dict[str, Any]]:
    """The multi-service traces started since `start_ns`, once none has changed for `quiet_s` (longer than the
    services' export interval, so the last batches are in), or whatever is there after `within` seconds."""
    deadline = time.monotonic() + within
    previous: list[tuple[str, int]] = []
    unchanged_since = time.monotonic()
    while True:
        now = [t for t in sink.started_since(start_ns) if len(t["services"]) > 1]
        key = sorted((t["trace_id"], t["spans"]) for t in now)
        if key != previous:
            previous, unchanged_since = key, time.monotonic()
        if time.monotonic() - unchanged_since >= quiet_s or time.monotonic() > deadline:
            return now
        time.sleep(0.25)


@pytest.fixture(autouse=True)
def order_waterfalls(request: pytest.FixtureRequest, trace_sink: TraceSink) -> Iterator[None]:
    """After each flow and e2e test, attach the waterfalls of the traces it caused (when the sink runs)."""
    path = str(request.node.path)
    wanted = "/tests/integration/flow/" in path or "/e2e/" in path
    start_ns = time.time_ns()
    yield
    if not wanted or not trace_sink.reachable():
        return
    quiet_s = StackSettings().trace_batch_delay_ms / 1000 + 0.3
    traces = sorted(_settled(trace_sink, start_ns, quiet_s), key=lambda t: -int(t["spans"]))[:ATTACHED_PER_TEST]
    for summary in traces:
        name = f"trace {summary['root']} ({', '.join(summary['services'])}) {summary['trace_id'][:8]}"
        trace_sink.attach(summary["trace_id"], name)
