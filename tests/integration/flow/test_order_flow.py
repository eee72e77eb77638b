"""The order flow end to end over HTTP and RabbitMQ: upload, price (worker pool), confirm, produce, deliver."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import numpy as np

from system.kernel.messaging.catalogue import CancellationAccepted
from system.kernel.messaging.envelope import Envelope
from system.kernel.messaging.publisher import Publisher
from system.kernel.messaging.queues import CRM_MES_EVENTS
from system.stack.stack import Stack
from tests.fixtures import meshes
from tests.integration.flow.conftest import line
from tests.plugins.clients import upload, wait_for
from tests.plugins.traces import TraceSink

HAPPY = ["pricing", "quoted", "confirmed", "in_production", "quality_check", "qc_failed", "in_production",
         "quality_check", "shipped", "delivered"]  # fmt: skip


def test_an_order_goes_from_upload_to_delivered_with_a_reprint(
    crm_api: httpx.Client, mes_api: httpx.Client, b2b: dict[str, str], operator: dict[str, str],
    model: Any, place: Any, reach: Any, production_job: Any,
) -> None:  # fmt: skip
    order = place(b2b, line(model(25.0 + np.random.rand(), b2b)))
    quoted = reach(b2b, order["id"], "quoted")
    assert Decimal(quoted["total_price"]) > 0 and quoted["lines"][0]["unit_price"] is not None
    assert quoted["allowed_actions"] == ["confirm", "cancel"]
    assert crm_api.post(f"/orders/{order['id']}/confirm", headers=b2b).json()["state"] == "confirmed"
    job = production_job(order["id"])
    for action, state in [("start", "in_production"), ("complete", "quality_check"), ("qc-fail", "qc_failed"),
                          ("start", "in_production"), ("complete", "quality_check"), ("qc-pass", None),
                          ("ship", "shipped")]:  # fmt: skip
        response = mes_api.post(f"/production-jobs/{job['id']}/{action}", headers=operator)
        assert response.status_code == 200, response.text
        if state:
            reach(b2b, order["id"], state)
    assert mes_api.post(f"/production-jobs/{job['id']}/ship", headers=operator).status_code == 409
    assert crm_api.post(f"/orders/{order['id']}/deliver", headers=operator).json()["state"] == "delivered"
    timeline = crm_api.get(f"/orders/{order['id']}/timeline", headers=b2b).json()["items"]
    assert [e["state"] for e in timeline] == HAPPY
    from_mes = [e for e in timeline if e["source"] == "mes"]
    assert from_mes and all(e["message_id"] and e["trace_id"] for e in from_mes)


def test_the_b2b_contract_discount_lowers_the_price(
    b2b: dict[str, str], b2c: dict[str, str], model: Any, place: Any, reach: Any
) -> None:
    size = 30.0 + np.random.rand()  # the same bytes, uploaded by each customer: one content, two files
    business = reach(b2b, place(b2b, line(model(size, b2b)))["id"], "quoted")
    consumer = reach(b2c, place(b2c, line(model(size, b2c)))["id"], "quoted")
    assert Decimal(business["total_price"]) < Decimal(consumer["total_price"])


def test_a_multi_line_order_is_quoted_only_with_every_line_priced(
    crm_api: httpx.Client, b2c: dict[str, str], model: Any, place: Any, reach: Any
) -> None:
    lines = [line(model(10.0 + n + np.random.rand(), b2c), quantity=n + 1) for n in range(3)]
    order = place(b2c, *lines)
    quoted = reach(b2c, order["id"], "quoted")
    totals = [Decimal(item["total_price"]) for item in quoted["lines"]]
    assert len(totals) == 3 and all(t > 0 for t in totals) and sum(totals) == Decimal(quoted["total_price"])
    states = [e["state"] for e in crm_api.get(f"/orders/{order['id']}/timeline", headers=b2c).json()["items"]]
    assert states == ["pricing", "quoted"]


def test_cancelling_before_production_stops_the_order_in_mes(
    crm_api: httpx.Client, mes_api: httpx.Client, b2c: dict[str, str], operator: dict[str, str],
    model: Any, place: Any, reach: Any,
) -> None:  # fmt: skip
    order = place(b2c, line(model(12.0 + np.random.rand(), b2c)))
    reach(b2c, order["id"], "quoted")
    cancelled = crm_api.post(f"/orders/{order['id']}/cancel", json={"reason": "found a cheaper part"}, headers=b2c)
    assert cancelled.status_code == 200, cancelled.text  # no production can exist yet: the CRM decides alone
    assert cancelled.json()["state"] == "cancelled" and cancelled.json()["allowed_actions"] == []
    assert crm_api.post(f"/orders/{order['id']}/confirm", headers=b2c).status_code == 409

    def mes_view() -> dict[str, Any] | None:
        view = mes_api.get(f"/orders/{order['id']}", headers=operator).json()
        return dict(view) if view["stage"] == "cancelled" else None

    view = wait_for(mes_view, within=30, what="MES to hear of the cancellation")  # MES stopped it, too
    assert view["job"] is None and view["state"] == "cancelled"


def test_a_broken_mesh_ends_in_pricing_failed_with_a_readable_reason(
    files_api: httpx.Client, b2c: dict[str, str], place: Any, reach: Any, tmp_path: Path
) -> None:
    flat = meshes.cube_triangles(20.0 + np.random.rand()) * np.array([1.0, 1.0, 0.0])  # squashed: no volume
    stored = upload(files_api, meshes.write_binary_stl(tmp_path / "flat.stl", flat).read_bytes(), "flat.stl", who=b2c)
    assert stored.status_code == 201, stored.text
    order = place(b2c, line(stored.json()))
    failed = reach(b2c, order["id"], "pricing_failed")
    assert failed["failure_reasons"] and "volume" in failed["failure_reasons"][0]
    assert failed["allowed_actions"] == ["cancel"]


def test_an_incompatible_material_and_process_is_explained(
    b2c: dict[str, str], model: Any, place: Any, reach: Any
) -> None:
    order = place(b2c, line(model(15.0 + np.random.rand(), b2c), material="resin", process="fdm"))
    failed = reach(b2c, order["id"], "pricing_failed")
    assert "resin" in failed["failure_reasons"][0].lower()


def test_customers_see_only_their_own_orders(
    crm_api: httpx.Client, b2b: dict[str, str], b2c: dict[str, str], model: Any, place: Any, reach: Any
) -> None:
    order = place(b2b, line(model(14.0 + np.random.rand(), b2b)))
    reach(b2b, order["id"], "quoted")
    for method, path in [("GET", ""), ("GET", "/timeline"), ("POST", "/confirm"), ("POST", "/cancel")]:
        response = crm_api.request(method, f"/orders/{order['id']}{path}", headers=b2c)
        assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"
    assert all(o["id"] != order["id"] for o in crm_api.get("/orders", headers=b2c).json()["items"])
    assert crm_api.get(f"/orders/{order['id']}", headers=b2b).json()["state"] == "quoted"
    assert crm_api.get("/orders/stuck", headers=b2c).status_code == 403


def test_an_unknown_file_or_a_bad_request_is_a_clear_4xx(crm_api: httpx.Client, b2c: dict[str, str]) -> None:
    unknown = crm_api.post(
        "/orders", json={"lines": [line({"id": "00000000-0000-4000-8000-000000000000"})]}, headers=b2c
    )
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown-file"
    for body in [{}, {"lines": []}, {"lines": [{"file_id": "x"}]}]:
        assert crm_api.post("/orders", json=body, headers=b2c).status_code == 422
    assert crm_api.get("/orders").status_code == 401
    assert crm_api.get("/orders", headers={"Authorization": "Bearer forged"}).status_code == 401


def test_an_operator_sees_where_an_order_is_and_the_trace_it_was_placed_in(
    crm_api: httpx.Client, b2c: dict[str, str], operator: dict[str, str], model: Any, place: Any, reach: Any,
    trace_sink: TraceSink,
) -> None:  # fmt: skip
    order = place(b2c, line(model(16.0 + np.random.rand(), b2c)))
    reach(b2c, order["id"], "quoted")

    response = crm_api.get(f"/orders/{order['id']}/position", headers=operator)

    assert response.status_code == 200, response.text
    position = response.json()
    assert (position["state"], position["holder"], position["stuck"]) == ("quoted", "customer", False)
    assert position["limit_seconds"] == 14 * 86400 and 0 <= position["in_state_seconds"] < 600
    assert [e["state"] for e in position["timeline"]] == ["pricing", "quoted"]
    assert position["dead_letters"] == [] and position["dead_letters_complete"] is True
    trace_id = position["trace_id"]
    assert trace_id and len(trace_id) == 32 and position["timeline"][0]["trace_id"] == trace_id
    # Each service sends its spans in batches (every second): wait for MES's to be in, not just the trace.
    held = trace_sink.wait_for(
        order["id"], lambda t: t.trace_id == trace_id and {"crm", "mes"} <= t.services(), 30, "its placement's trace"
    )
    assert held.trace_id == trace_id
    trace_sink.attach(trace_id, "the order's placement, as its position names it")
    assert crm_api.get(f"/orders/{order['id']}/position", headers=b2c).status_code == 403


def test_a_message_about_an_order_that_its_consumer_rejected_is_in_the_orders_position(
    crm_api: httpx.Client, stack: Stack, b2c: dict[str, str], operator: dict[str, str], model: Any, place: Any,
    reach: Any,
) -> None:  # fmt: skip
    order = place(b2c, line(model(17.0 + np.random.rand(), b2c)))
    reach(b2c, order["id"], "quoted")
    # MES "accepting" a cancellation nobody asked for: the CRM's handler rejects it for good (to the DLQ at once).
    stray = Envelope.wrap(
        CancellationAccepted(order_id=order["id"], reason="a test's stray answer"),
        type="order.cancellation_accepted", producer="mes", correlation_id=order["id"],
    )  # fmt: skip

    def dead_lettered() -> dict[str, Any] | None:
        found = crm_api.get(f"/orders/{order['id']}/position", headers=operator)
        assert found.status_code == 200, found.text
        return dict(found.json()) if found.json()["dead_letters"] else None

    _run_apart(_publish(stack.settings.amqp_url, "mes.events", stray))
    try:
        position = wait_for(dead_lettered, within=30, what="the rejected message in the order's position")
        [letter] = position["dead_letters"]
        assert (letter["queue"], letter["message_id"], letter["type"], letter["attempts"]) == (
            CRM_MES_EVENTS.name, str(stray.message_id), "order.cancellation_accepted", 1,
        )  # fmt: skip
        assert letter["reason"].startswith(f"rejected by handler: MES accepted a cancellation of order {order['id']}")
        assert position["state"] == "quoted", "the rejected message changed nothing"
    finally:
        _run_apart(_discard(stack.settings.amqp_url, CRM_MES_EVENTS.dlq, str(stray.message_id)))


def _run_apart(work: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine in a thread of its own: another plugin (Playwright's sync API) may own this thread's loop."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, work).result()


async def _publish(url: str, exchange: str, envelope: Envelope) -> None:
    publisher = Publisher(url)
    try:
        await publisher.publish(
            exchange,
            envelope.type,
            envelope.to_bytes(),
            message_id=str(envelope.message_id),
            message_type=envelope.type,
        )
    finally:
        await publisher.close()


async def _discard(url: str, dlq: str, message_id: str, within: float = 30) -> None:
    """Take this test's message out of the shared DLQ (the others go back when the connection closes)."""
    connection = await aio_pika.connect(url, timeout=10)
    try:
        queue = await (await connection.channel()).get_queue(dlq, ensure=True)
        deadline = asyncio.get_running_loop().time() + within
        while asyncio.get_running_loop().time() < deadline:
            message = await queue.get(no_ack=False, fail=False, timeout=5)
            if message is None:
                return  # gone already, or never dead-lettered: nothing left behind
            if message.message_id == message_id:
                await message.ack()
                return
    finally:
        await connection.close()
