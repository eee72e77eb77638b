"""The CRM's HTTP API on in-memory fakes: its OpenAPI, the tokens it refuses, and who may call which route."""

from __future__ import annotations

import socket
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from system.crm.adapters.dead_letters import BrokerDeadLetters
from system.crm.app import mount
from system.crm.domain import Account, Order, OrderLine, State
from system.crm.ports import DeadLetters
from system.crm.settings import CrmSettings
from system.kernel.auth import Principal, issue_token
from system.kernel.http import create_service_app
from system.kernel.messaging.catalogue import Material, Process
from tests.unit.access import Route, assert_problem, forged_tokens, operations
from tests.unit.crm.fakes import FakeCrm, FakeDeadLetters, FakeFiles, uow_factory

SECRET = "unit-crm-secret-" + "x" * 16
CUSTOMER = Account(uuid.uuid4(), "ada@example.com", "Ada", "customer", "b2c")
OTHER = Account(uuid.uuid4(), "eve@example.com", "Eve", "customer", "b2c")
OPERATOR = Account(uuid.uuid4(), "olga@example.com", "Olga", "operator", None)

PUBLIC: set[Route] = {("POST", "/auth/login")}
CUSTOMER_ALLOWED: set[Route] = PUBLIC | {
    ("GET", "/me"),
    ("POST", "/orders"),
    ("GET", "/orders"),  # a customer's own orders only: test_a_customer_lists_only_their_own_orders
    ("GET", "/orders/{order_id}"),
    ("GET", "/orders/{order_id}/timeline"),
    ("POST", "/orders/{order_id}/confirm"),
    ("POST", "/orders/{order_id}/cancel"),
}
OPERATOR_ONLY: set[Route] = {
    ("GET", "/orders/stuck"),
    ("POST", "/orders/{order_id}/deliver"),
    ("GET", "/orders/{order_id}/position"),
}


def build(db: FakeCrm, files: FakeFiles | None = None, dead_letters: DeadLetters | None = None) -> FastAPI:
    """The CRM app with its real routes (app.mount), on the in-memory unit of work, File Service and DLQs."""
    settings = CrmSettings(database_url="postgresql+asyncpg://unused/crm", auth_secret=SECRET)
    return mount(
        create_service_app("unit-crm-api"),
        settings=settings,
        uow=uow_factory(db),
        files=files or FakeFiles(),
        dead_letters=dead_letters or FakeDeadLetters(),
    )


OPERATIONS = operations(build(FakeCrm()))
SECURED = sorted(route for route, op in OPERATIONS.items() if "security" in op)


def token(account: Account) -> str:
    return issue_token(SECRET, Principal(account.id, "operator" if account.role == "operator" else "customer"))


def order_of(account: Account, state: State) -> Order:
    line = OrderLine(uuid.uuid4(), uuid.uuid4(), "part.stl", "0" * 64, Material.PLA, Process.FDM, 2, 7)
    order = Order(id=uuid.uuid4(), customer_id=account.id, lines=[line], state=state)
    order.state_since = datetime.now(UTC) - timedelta(days=60)  # stuck in any state that has a limit
    return order


class Crm:
    """The app on a fake database holding the three accounts, one order of Ada's and one of Eve's."""

    def __init__(self, state: State = State.QUOTED, dead_letters: DeadLetters | None = None) -> None:
        self.db = FakeCrm()
        for account in (CUSTOMER, OTHER, OPERATOR):
            self.db.accounts.rows[account.id] = (account, "no password")
        self.mine, self.theirs = order_of(CUSTOMER, state), order_of(OTHER, state)
        self.db.orders.rows.update({o.id: o for o in (self.mine, self.theirs)})
        self.client = TestClient(build(self.db, dead_letters=dead_letters))

    def call(self, route: Route, bearer: str | None, order: Order | None = None) -> httpx.Response:
        """Call `route` as the holder of `bearer`, on `order` (Ada's by default), with a valid body."""
        method, path = route
        url = path.format(order_id=(order or self.mine).id)
        headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else {}
        body: dict[str, Any] | None = None
        if route == ("POST", "/orders"):
            line = {"file_id": str(uuid.uuid4()), "material": "pla", "process": "fdm"}  # refused before it is looked up
            body = {"lines": [{**line, "quantity": 1, "lead_time_days": 7}]}
        elif route == ("POST", "/auth/login"):
            body = {"email": CUSTOMER.email, "password": "wrong"}
        response: httpx.Response = self.client.request(method, url, headers=headers, json=body)
        return response

    def untouched(self) -> bool:
        """No order changed, none was added, and nothing was published."""
        states = {o.id: o.state for o in self.db.orders.rows.values()}
        return states == {self.mine.id: self.mine.state, self.theirs.id: self.theirs.state} and not self.db.published


def test_placing_an_order_documents_the_idempotent_replay_and_files_unavailable() -> None:
    responses = OPERATIONS[("POST", "/orders")]["responses"]
    assert responses["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/OrderOut"}
    assert responses["503"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }


def test_every_route_is_classified_as_customer_allowed_or_operator_only() -> None:
    """A route added later without deciding who may call it (and adding its permission case) fails here."""
    unclassified = set(OPERATIONS) - CUSTOMER_ALLOWED - OPERATOR_ONLY
    assert not unclassified, f"add these routes to CUSTOMER_ALLOWED or OPERATOR_ONLY: {sorted(unclassified)}"
    assert not CUSTOMER_ALLOWED & OPERATOR_ONLY


def test_every_route_but_sign_in_needs_a_bearer_token() -> None:
    assert {route for route in OPERATIONS if route not in SECURED} == PUBLIC


@pytest.mark.parametrize("route", SECURED, ids=" ".join)
@pytest.mark.parametrize("case", [*forged_tokens(SECRET, Principal(CUSTOMER.id, "customer")), "missing"])
def test_a_forged_expired_or_missing_token_is_refused_on_every_route(case: str, route: Route) -> None:
    crm = Crm()
    bearer = None if case == "missing" else forged_tokens(SECRET, Principal(CUSTOMER.id, "customer"))[case]
    response = crm.call(route, bearer)
    assert_problem(response, 401, "unauthenticated" if case == "missing" else "invalid-token")
    assert crm.untouched()


@pytest.mark.parametrize("route", SECURED, ids=" ".join)
@pytest.mark.parametrize("gone", [CUSTOMER, OPERATOR], ids=lambda a: a.role)
def test_a_token_of_a_deleted_account_is_refused_on_every_route(gone: Account, route: Route) -> None:
    crm = Crm()
    del crm.db.accounts.rows[gone.id]
    assert_problem(crm.call(route, token(gone)), 401, "unknown-account")
    assert crm.untouched()


@pytest.mark.parametrize("route", SECURED, ids=" ".join)
def test_an_operator_token_of_an_account_no_longer_operator_is_refused_on_every_route(route: Route) -> None:
    crm = Crm()
    demoted = Account(OPERATOR.id, OPERATOR.email, OPERATOR.name, "customer", "b2c")
    crm.db.accounts.rows[OPERATOR.id] = (demoted, "no password")
    assert_problem(crm.call(route, token(OPERATOR)), 401, "stale-token")
    assert crm.untouched()


@pytest.mark.parametrize("route", sorted(r for r in OPERATIONS if r in OPERATOR_ONLY), ids=" ".join)
def test_a_customer_is_refused_every_operator_route(route: Route) -> None:
    crm = Crm(State.SHIPPED)  # Ada's own order, ready to be delivered

    assert_problem(crm.call(route, token(CUSTOMER)), 403, "forbidden")
    assert crm.untouched()
    assert crm.call(route, token(OPERATOR)).status_code == 200, "the same call is an operator's to make"


ON_AN_ORDER = sorted(r for r in OPERATIONS if r in CUSTOMER_ALLOWED and "{order_id}" in r[1])


@pytest.mark.parametrize("route", ON_AN_ORDER, ids=" ".join)
def test_another_customers_order_is_not_found_on_every_order_route(route: Route) -> None:
    crm = Crm()

    assert_problem(crm.call(route, token(OTHER), crm.mine), 404, "not-found")
    assert crm.untouched()
    assert crm.call(route, token(CUSTOMER), crm.mine).status_code == 200, "the owner may"


def test_a_customer_lists_only_their_own_orders_and_an_operator_everyones() -> None:
    crm = Crm()

    def listed(account: Account, query: str = "") -> set[str]:
        response = crm.client.get(f"/orders{query}", headers={"Authorization": f"Bearer {token(account)}"})
        assert response.status_code == 200, response.text
        return {o["id"] for o in response.json()["items"]}

    assert listed(CUSTOMER) == listed(CUSTOMER, "?state=quoted") == {str(crm.mine.id)}
    assert listed(OTHER) == {str(crm.theirs.id)}
    assert listed(OPERATOR) == {str(crm.mine.id), str(crm.theirs.id)}


def test_text_postgresql_cannot_store_is_refused_with_a_422_naming_the_field() -> None:
    from pydantic import BaseModel, ValidationError

    from system.crm.schemas import CancelIn, LineIn, LoginRequest

    cases: list[tuple[type[BaseModel], str, str]] = [
        (LoginRequest, "email", "\x00@example.com"),  # found by the fuzz suite: it was a 500
        (CancelIn, "reason", "changed\x00mind"),
        (LineIn, "filename", "part\x00.stl"),
    ]
    for model, field, value in cases:
        base: dict[str, Any] = {"email": "a@b.c", "password": "x"} if model is LoginRequest else {}
        if model is LineIn:
            base = {"file_id": "00000000-0000-4000-8000-000000000000", "material": "pla", "process": "fdm",
                    "quantity": 1, "lead_time_days": 7}  # fmt: skip
        try:
            model.model_validate({**base, field: value})
        except ValidationError as exc:
            assert exc.errors()[0]["loc"] == (field,)
        else:
            raise AssertionError(f"{model.__name__}.{field} accepted a NUL character")
    assert LoginRequest(email="ada@example.com", password="demo").email == "ada@example.com"


def test_an_operator_sees_where_any_customers_order_is() -> None:
    letters = FakeDeadLetters()
    crm = Crm(State.CANCELLATION_REQUESTED, letters)
    crm.theirs.trace_id = "ab" * 16
    letter = letters.add(crm.theirs.id, attempts=5)

    response = crm.call(("GET", "/orders/{order_id}/position"), token(OPERATOR), crm.theirs)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["order_id"], body["customer_id"], body["state"]) == (
        str(crm.theirs.id), str(OTHER.id), "cancellation_requested",
    )  # fmt: skip
    assert body["holder"] == "MES (deciding the cancellation)" and body["stuck"] is True
    assert body["limit_seconds"] == 15 * 60 and body["in_state_seconds"] > 59 * 86400
    assert body["trace_id"] == "ab" * 16 and body["timeline"] == []
    assert body["dead_letters"] == [
        {"queue": letter.queue, "message_id": letter.message_id, "type": letter.type, "attempts": 5,
         "reason": letter.reason}
    ] and body["dead_letters_complete"] is True  # fmt: skip
    assert crm.untouched()


@pytest.mark.parametrize("whose", ["own", "another customer's", "nobody's"])
def test_customers_cannot_see_where_an_order_is_whoever_it_belongs_to(whose: str) -> None:
    crm = Crm()
    order = {"own": crm.mine, "another customer's": crm.theirs}.get(whose, order_of(CUSTOMER, State.QUOTED))

    assert_problem(crm.call(("GET", "/orders/{order_id}/position"), token(CUSTOMER), order), 403, "forbidden")


def test_an_unknown_order_has_no_position() -> None:
    crm = Crm()
    response = crm.call(("GET", "/orders/{order_id}/position"), token(OPERATOR), order_of(CUSTOMER, State.QUOTED))
    assert_problem(response, 404, "not-found")


def test_an_unreachable_broker_is_a_503_with_retry_after_not_a_500() -> None:
    with socket.socket() as probe:  # a port nothing listens on: the real adapter's connection is refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    crm = Crm(dead_letters=BrokerDeadLetters(f"amqp://guest:guest@127.0.0.1:{port}/"))

    response = crm.call(("GET", "/orders/{order_id}/position"), token(OPERATOR))

    assert_problem(response, 503, "broker-unavailable")
    assert response.headers["retry-after"] == "5"
