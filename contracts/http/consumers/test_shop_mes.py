"""Shop -> MES: the operator console's `MesClient` (production jobs by state, operator actions), and a customer's
view of a long quote's progress."""

from __future__ import annotations

from pact import match

from contracts.http import labels
from contracts.http.consumers import bodies
from contracts.http.consumers import shapes as s
from contracts.http.consumers.contract import JSON, Contract
from system.shop.clients import MesClient

pytestmark = labels("shop -> mes")

WAITING = "an operator signed in and a production job waiting to start"


async def test_jobs_in_one_state(shop_mes: Contract) -> None:
    pact = shop_mes.pact()
    (
        pact.upon_receiving("a request for the production jobs waiting to start")
        .given(WAITING)
        .with_request("GET", "/production-jobs")
        .with_query_parameter("state", "queued")
        .with_header("Authorization", s.bearer())
        .will_respond_with(200)
        .with_body({"items": match.each_like(bodies.job("queued"))}, JSON)
    )
    async with shop_mes.serve(pact) as http:
        jobs = await MesClient(http).jobs(s.TOKEN, "queued")
    assert jobs[0].state == "queued"


async def test_start_a_job(shop_mes: Contract) -> None:
    pact = shop_mes.pact()
    (
        pact.upon_receiving("an operator starting a production job")
        .given(WAITING)
        .with_request("POST", s.path("/production-jobs/{job_id}/start", job_id=s.JOB_ID))
        .with_header("Authorization", s.bearer())
        .will_respond_with(200)
        .with_body(bodies.job("printing"), JSON)
    )
    async with shop_mes.serve(pact) as http:
        job = await MesClient(http).act(s.TOKEN, s.JOB_ID, "start")
    assert job.state == "printing"


async def test_how_far_an_order_s_pricing_has_come(shop_mes: Contract) -> None:
    pact = shop_mes.pact()
    (
        pact.upon_receiving("a customer asking how far the pricing of its order has come")
        .given("a customer's quoted order")  # so MES knows the order: it hears of it from the CRM
        .with_request("GET", s.path("/orders/{order_id}/pricing", order_id=s.ORDER_ID))
        .with_header("Authorization", s.bearer())
        .will_respond_with(200)
        .with_body(bodies.pricing(), JSON)
    )
    async with shop_mes.serve(pact) as http:
        pricing = await MesClient(http).pricing(s.TOKEN, s.ORDER_ID)
    assert pricing.percent == 46.3 and pricing.lines[0].stage.startswith("front down")
