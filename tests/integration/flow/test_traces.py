"""One order, one trace: the shape of the traces the stack exports, read back from its trace sink.

Each async hop (outbox relay -> RabbitMQ -> consumer) must continue its producer's span, the long pricing job
must link to the message it started from, and no span may hang off a parent the trace does not hold.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import numpy as np

from system.tracesink.model import Trace
from system.tracesink.shape import assert_shape, check_shape, parse_edges
from tests.fixtures import meshes
from tests.integration.flow.conftest import line
from tests.plugins.clients import upload
from tests.plugins.traces import TraceSink

# Placing an order: the CRM describes the file, MES dispatches pricing, a worker fetches the model, MES gathers
# the results and tells the CRM the price.
PRICED = parse_edges("crm -> files, crm -> mes, mes -> pricing, pricing -> files, pricing -> mes, mes -> crm")


def _placed(trace: Trace) -> bool:
    return any(s.name == "POST /orders" or s.name.endswith(" POST /orders") for s in trace.roots())


def _fits(expected: set[tuple[str, str]]) -> Any:
    return lambda trace: _placed(trace) and not check_shape(trace, expected, linked_jobs=["pricing.job"])


def test_a_priced_order_is_one_trace_from_the_request_to_the_quote(
    b2c: dict[str, str], model: Any, place: Any, reach: Any, trace_sink: TraceSink
) -> None:
    order = place(b2c, line(model(31.0 + np.random.rand(), b2c)))  # a new model: the worker must fetch it
    reach(b2c, order["id"], "quoted")
    trace = trace_sink.wait_for(order["id"], _fits(PRICED), within=30, what="the priced order's shape")
    assert_shape(trace, PRICED, linked_jobs=["pricing.job"])
    assert {"crm", "files", "mes", "pricing"} <= trace.services()
    assert len(trace.linked_hops()) >= 1  # pricing.job -> the pricing.requested message
    trace_sink.attach(trace.trace_id, "priced order")


def test_a_pricing_failure_travels_back_in_the_same_trace(
    files_api: httpx.Client, b2c: dict[str, str], place: Any, reach: Any, trace_sink: TraceSink, tmp_path: Path
) -> None:
    flat = meshes.cube_triangles(21.0 + np.random.rand()) * np.array([1.0, 1.0, 0.0])  # no volume: refused
    stored = upload(files_api, meshes.write_binary_stl(tmp_path / "flat.stl", flat).read_bytes(), "flat.stl", who=b2c)
    assert stored.status_code == 201, stored.text
    order = place(b2c, line(stored.json()))
    reach(b2c, order["id"], "pricing_failed")
    trace = trace_sink.wait_for(order["id"], _fits(PRICED), within=30, what="the failed pricing's shape")
    failed = [s for s in trace.spans if "pricing.failed" in s.name]
    assert failed and all(s.service == "pricing" for s in failed), sorted({s.name for s in trace.spans})
    trace_sink.attach(trace.trace_id, "failed pricing")


def test_each_operator_action_of_a_reprint_reaches_the_crm_in_its_own_trace(
    crm_api: httpx.Client, mes_api: httpx.Client, b2b: dict[str, str], operator: dict[str, str],
    model: Any, place: Any, reach: Any, production_job: Any, trace_sink: TraceSink,
) -> None:  # fmt: skip
    order = place(b2b, line(model(23.0 + np.random.rand(), b2b)))
    reach(b2b, order["id"], "quoted")
    assert crm_api.post(f"/orders/{order['id']}/confirm", headers=b2b).status_code == 200
    job = production_job(order["id"])
    for action in ("start", "complete", "qc-fail"):
        assert mes_api.post(f"/production-jobs/{job['id']}/{action}", headers=operator).status_code == 200
    reach(b2b, order["id"], "qc_failed")

    def reprint_reached_the_crm(trace: Trace) -> bool:  # the three actions share a route: tell them by message
        # Complete too: two MES replicas export their batches separately, so the relay's publish can arrive before
        # the request span it hangs off (seen once in CI as an orphan).
        qc_failed = any("production.qc_failed" in s.name for s in trace.spans)
        return qc_failed and ("mes", "crm") in trace.edges() and not check_shape(trace, parse_edges("mes -> crm"))

    trace = trace_sink.wait_for(order["id"], reprint_reached_the_crm, within=30, what="the QC failure's trip")
    assert_shape(trace, parse_edges("mes -> crm"))
    timeline = crm_api.get(f"/orders/{order['id']}/timeline", headers=b2b).json()["items"]
    qc_failed = next(e for e in timeline if e["state"] == "qc_failed")
    assert qc_failed["trace_id"] == trace.trace_id  # the CRM's timeline names the trace that moved the order
    trace_sink.attach(trace.trace_id, "QC failure (reprint)")
