"""The MES's HTTP API on in-memory fakes: the tokens it refuses, and that every route is an operator's.

MES keeps no accounts: its tokens are stateless, verified by signature, expiry and role claim alone. A deleted
account's (or a demoted operator's) token therefore keeps working at MES until it expires; the CRM, which owns
the accounts, refuses it at once (tests/unit/crm/test_api.py). So no deleted-account case here.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from system.kernel.auth import Principal, issue_token
from system.kernel.http import create_service_app
from system.mes.app import mount
from system.mes.domain import JobState, MesOrder, OrderStage, PricingJob, PricingState, ProductionJob
from system.mes.settings import MesSettings
from tests.unit.access import Route, assert_problem, forged_tokens, operations
from tests.unit.mes.fakes import FakeMes, uow_factory

SECRET = "unit-mes-secret-" + "x" * 16
CUSTOMER = Principal(uuid.uuid4(), "customer")
OPERATOR = Principal(uuid.uuid4(), "operator")

# The MES is the factory floor's: customers go through the CRM, except to watch a long quote's progress.
CUSTOMER_ALLOWED: set[Route] = {("GET", "/orders/{order_id}/pricing")}
OPERATOR_ONLY: set[Route] = {
    ("GET", "/production-jobs"),
    ("GET", "/production-jobs/{job_id}"),
    ("POST", "/production-jobs/{job_id}/{action}"),
    ("GET", "/orders/{order_id}"),
}


def build(db: FakeMes) -> FastAPI:
    """The MES app with its real routes (app.mount), on the in-memory unit of work."""
    settings = MesSettings(database_url="postgresql+asyncpg://unused/mes", auth_secret=SECRET)
    return mount(create_service_app("unit-mes-api"), settings=settings, uow=uow_factory(db))


OPERATIONS = operations(build(FakeMes()))


class Mes:
    """The app on a fake database holding one confirmed order with its queued production job."""

    def __init__(self) -> None:
        self.db = FakeMes()
        line = {"line_id": str(uuid.uuid4()), "file_id": str(uuid.uuid4()), "material": "pla", "process": "fdm"}
        lines = [{**line, "quantity": 2}]
        self.order = MesOrder(uuid.uuid4(), "b2c", Decimal(0), lines, stage=OrderStage.CONFIRMED,
                              customer_id=CUSTOMER.account_id)  # fmt: skip
        self.pricing = PricingJob(uuid.uuid4(), self.order.id, uuid.UUID(line["line_id"]), PricingState.PENDING, 40.0,
                                  stage="front down (2 of 5): Infilling layers")  # fmt: skip
        self.db.pricing.rows[self.pricing.id] = self.pricing
        self.job = ProductionJob(uuid.uuid4(), self.order.id, lines)
        self.db.orders.rows[self.order.id] = self.order
        self.db.production.rows[self.job.id] = self.job
        self.client = TestClient(build(self.db))

    def call(self, route: Route, bearer: str | None) -> httpx.Response:
        """Call `route` as the holder of `bearer`, on the job (starting it) or its order."""
        method, path = route
        url = path.format(job_id=self.job.id, action="start", order_id=self.order.id)
        headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else {}
        response: httpx.Response = self.client.request(method, url, headers=headers)
        return response

    def untouched(self) -> bool:
        """The job is still queued, the order confirmed, and nothing was published."""
        job, order = self.db.production.rows[self.job.id], self.db.orders.rows[self.order.id]
        return (job.state, order.stage, self.db.published) == (JobState.QUEUED, OrderStage.CONFIRMED, [])


def test_every_route_is_classified_as_customer_allowed_or_operator_only() -> None:
    """A route added later without deciding who may call it (and adding its permission case) fails here."""
    unclassified = set(OPERATIONS) - CUSTOMER_ALLOWED - OPERATOR_ONLY
    assert not unclassified, f"add these routes to CUSTOMER_ALLOWED or OPERATOR_ONLY: {sorted(unclassified)}"


def test_every_route_needs_a_bearer_token() -> None:
    assert OPERATIONS and [route for route, op in OPERATIONS.items() if "security" not in op] == []


@pytest.mark.parametrize("route", sorted(OPERATIONS), ids=" ".join)
@pytest.mark.parametrize("case", [*forged_tokens(SECRET, CUSTOMER), "missing"])
def test_a_forged_expired_or_missing_token_is_refused_on_every_route(case: str, route: Route) -> None:
    mes = Mes()
    bearer = None if case == "missing" else forged_tokens(SECRET, CUSTOMER)[case]
    assert_problem(mes.call(route, bearer), 401, "unauthenticated" if case == "missing" else "invalid-token")
    assert mes.untouched()


@pytest.mark.parametrize("route", sorted(r for r in OPERATIONS if r in OPERATOR_ONLY), ids=" ".join)
def test_a_customer_is_refused_every_operator_route(route: Route) -> None:
    mes = Mes()

    assert_problem(mes.call(route, issue_token(SECRET, CUSTOMER)), 403, "forbidden")
    assert mes.untouched()
    assert mes.call(route, issue_token(SECRET, OPERATOR)).status_code == 200, "the same call is an operator's to make"


def test_the_customer_sees_the_progress_of_its_own_order_s_pricing() -> None:
    mes = Mes()
    answer = mes.call(("GET", "/orders/{order_id}/pricing"), issue_token(SECRET, CUSTOMER))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "order_id": str(mes.order.id),
        "percent": 40.0,
        "lines": [{"line_id": str(mes.pricing.line_id), "state": "pending", "percent": 40.0,
                   "stage": "front down (2 of 5): Infilling layers"}],
    }  # fmt: skip
    assert mes.call(("GET", "/orders/{order_id}/pricing"), issue_token(SECRET, OPERATOR)).status_code == 200


def test_another_customer_finds_no_such_order_s_pricing() -> None:
    """Not enough permissions: the other customer's order is simply not found, as an unknown one is."""
    mes = Mes()
    stranger = Principal(uuid.uuid4(), "customer")
    assert_problem(mes.call(("GET", "/orders/{order_id}/pricing"), issue_token(SECRET, stranger)), 404, "not-found")
    unknown = mes.client.get(
        f"/orders/{uuid.uuid4()}/pricing", headers={"Authorization": f"Bearer {issue_token(SECRET, CUSTOMER)}"}
    )
    assert_problem(unknown, 404, "not-found")


def test_a_settled_line_counts_as_done_in_the_order_s_progress() -> None:
    mes = Mes()
    second = PricingJob(uuid.uuid4(), mes.order.id, uuid.uuid4(), PricingState.COMPLETED, 100.0)
    mes.db.pricing.rows[second.id] = second
    answer = mes.call(("GET", "/orders/{order_id}/pricing"), issue_token(SECRET, CUSTOMER)).json()
    assert answer["percent"] == 70.0 and len(answer["lines"]) == 2
