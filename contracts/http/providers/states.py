"""Provider states, set up on the running stack through the services' own APIs and token code.

Each state returns the values the pact's `ProviderState` generators need (`token`, `order_id`, `file_id`,
`job_id`): the verifier puts them into the replayed request. The orders go through the real flow (placed,
priced by the pricing workers, confirmed, produced), so a state is what the system really reaches.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from contracts.http.consumers.shapes import DIGEST
from contracts.http.providers.accounts import new_customer
from contracts.http.providers.overstay import overstay
from system.crm.domain import State
from system.crm.seed import DEMO_ACCOUNTS
from system.kernel.auth import issue_service_token
from tests.fixtures import meshes
from tests.plugins.clients import DEMO_PASSWORD, sign_in, upload, wait_for

CUSTOMER, OPERATOR = DEMO_ACCOUNTS[0], DEMO_ACCOUNTS[2]
FLOW_SECONDS = 60.0  # pricing and production run through the broker: poll up to this long
PRODUCTION = ("start", "complete", "qc-pass", "ship")


class World:
    """The running providers as the state handlers reach them."""

    def __init__(self, urls: dict[str, str], auth_secret: str, crm_database_url: str) -> None:
        self.crm, self.files, self.mes = (httpx.Client(base_url=urls[n], timeout=30) for n in ("crm", "files", "mes"))
        self.auth_secret = auth_secret
        self.crm_database_url = crm_database_url
        self.cleanups: list[Callable[[], None]] = []

    def tear_down(self) -> None:
        """Undo what the last states left that other suites on this stack would notice (newest first)."""
        while self.cleanups:
            self.cleanups.pop()()

    def close(self) -> None:
        """Close the connection pools."""
        for client in (self.crm, self.files, self.mes):
            client.close()

    def customer(self) -> dict[str, str]:
        """A customer created for this state alone, signed in (see accounts.py)."""
        return sign_in(self.crm, new_customer(self.crm_database_url, DEMO_PASSWORD).email)

    def demo(self) -> dict[str, str]:
        """The demo customer, signed in."""
        return sign_in(self.crm, CUSTOMER.email)

    def operator(self) -> dict[str, str]:
        return sign_in(self.crm, OPERATOR.email)

    @staticmethod
    def cube(size: float = 10.0) -> bytes:
        """A cube of edge `size` (10: a 10 mm cube), binary STL."""
        with tempfile.TemporaryDirectory() as folder:
            return meshes.write_cube_binary(Path(folder) / "cube.stl", size).read_bytes()

    def model(self, who: dict[str, str], size: float = 10.0) -> str:
        """Upload a cube of edge `size` for `who` through the File Service; its file id."""
        response = upload(self.files, self.cube(size), "cube.stl", who=who)
        assert response.status_code in (200, 201), response.text
        return str(response.json()["id"])

    def bytes_put(self, who: dict[str, str]) -> str:
        """Start an upload for `who` and PUT a cube's bytes to its presigned URL, as a client does; the upload id."""
        data = self.cube()
        started = self.files.post("/files/uploads", json={"filename": "cube.stl", "size": len(data)}, headers=who)
        assert started.status_code == 201, started.text
        httpx.put(started.json()["url"], content=data, timeout=60).raise_for_status()
        return str(started.json()["upload_id"])

    def order(self, who: dict[str, str]) -> dict[str, Any]:
        """Place an order for a fresh upload of `who`'s."""
        line = {"file_id": self.model(who), "material": "pla", "process": "fdm", "quantity": 1, "lead_time_days": 7}
        response = self.crm.post("/orders", json={"lines": [line]}, headers=who)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def order_in(self, order_id: str, state: str, who: dict[str, str]) -> dict[str, Any]:
        """Wait until the CRM shows the order in `state`."""

        def reached() -> dict[str, Any] | None:
            body = self.crm.get(f"/orders/{order_id}", headers=who).json()
            return dict(body) if body.get("state") == state else None

        return dict(wait_for(reached, within=FLOW_SECONDS, what=f"order {order_id} to be {state}"))

    def quoted(self, who: dict[str, str]) -> str:
        order_id = str(self.order(who)["id"])
        self.order_in(order_id, "quoted", who)
        return order_id

    def queued_job(self, who: dict[str, str], operator: dict[str, str]) -> tuple[str, str]:
        """A confirmed order's production job, queued in the MES: (order id, job id)."""
        order_id = self.quoted(who)
        self.crm.post(f"/orders/{order_id}/confirm", json={}, headers=who).raise_for_status()

        def job() -> str | None:
            view = self.mes.get(f"/orders/{order_id}", headers=operator)
            found = view.json().get("job") if view.status_code == 200 else None
            return str(found["id"]) if found and found["state"] == "queued" else None

        return order_id, str(wait_for(job, within=FLOW_SECONDS, what=f"a queued production job for {order_id}"))

    def shipped(self, who: dict[str, str], operator: dict[str, str]) -> str:
        order_id, job_id = self.queued_job(who, operator)
        for action in PRODUCTION:
            self.mes.post(f"/production-jobs/{job_id}/{action}", headers=operator).raise_for_status()
        self.order_in(order_id, "shipped", who)
        return order_id

    def stuck(self, order_id: str, state: str, who: dict[str, str]) -> None:
        """Make `who`'s order, in `state`, stuck there; cancelled again at teardown."""
        overstay(self.crm_database_url, uuid.UUID(order_id), State(state))

        def cancel() -> None:
            # A stuck order stays stuck and fires the StuckOrders alert on this stack: end it as its customer would.
            body = {"reason": "provider state torn down"}
            self.crm.post(f"/orders/{order_id}/cancel", json=body, headers=who).raise_for_status()

        self.cleanups.append(cancel)

    def service_token(self, service: str, order_id: uuid.UUID | None = None, *, acting: bool = True) -> str:
        """A service token as `service`'s own client issues it (kernel code), acting for the demo customer unless
        `acting` is False."""
        return issue_service_token(
            self.auth_secret,
            service=service,
            audience="files",
            acting_for=CUSTOMER.id if acting else None,
            order_id=order_id,
        )

    def checkpoint(self, key: str) -> None:
        """Have the File Service keep a checkpoint under `key`, as a pricing worker would."""
        body = {"orientation": "upside down", "estimate": [4242.0, 12.5, 1.5], "refused": ""}
        token = self.service_token("pricing", acting=False)
        kept = self.files.put(f"/pricing-checkpoints/{key}", json=body, headers={"Authorization": f"Bearer {token}"})
        kept.raise_for_status()


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def states(w: World) -> dict[str, Callable[[], dict[str, str]]]:
    """Every provider state the HTTP pacts name, by name."""

    def signed_in() -> dict[str, str]:
        return {"token": token_of(w.customer())}

    def demo() -> dict[str, str]:
        return {"token": token_of(w.demo())}

    def bytes_put() -> dict[str, str]:
        who = w.customer()
        return {"token": token_of(who), "upload_id": w.bytes_put(who)}

    def with_file() -> dict[str, str]:
        who = w.customer()
        return {"token": token_of(who), "file_id": w.model(who)}

    def with_inch_file() -> dict[str, str]:
        # Half an inch: ordered in inches it is a 12.7 mm cube. The 10 mm cube would be a 254 mm one, which keeps a
        # pricing worker slicing for minutes while the other states wait for their quotes.
        who = w.customer()
        return {"token": token_of(who), "file_id": w.model(who, size=0.5)}

    def with_order() -> dict[str, str]:
        who = w.customer()
        return {"token": token_of(who), "order_id": str(w.order(who)["id"])}

    def quoted() -> dict[str, str]:
        who = w.customer()
        return {"token": token_of(who), "order_id": w.quoted(who)}

    def shipped() -> dict[str, str]:
        operator = w.operator()
        return {"token": token_of(operator), "order_id": w.shipped(w.customer(), operator)}

    def queued() -> dict[str, str]:
        operator = w.operator()
        return {"token": token_of(operator), "job_id": w.queued_job(w.customer(), operator)[1]}

    def stuck_quoted() -> dict[str, str]:
        operator, who = w.operator(), w.customer()
        order_id = w.quoted(who)
        w.stuck(order_id, "quoted", who)
        return {"token": token_of(operator), "order_id": order_id}

    def asked_by(service: str, exists: bool) -> Callable[[], dict[str, str]]:
        def state() -> dict[str, str]:
            file_id = w.model(w.demo()) if exists else str(uuid.uuid4())
            order_id = uuid.uuid4() if service == "pricing" else None  # pricing asks for an order's file
            return {"file_id": file_id, "token": w.service_token(service, order_id)}

        return state

    def pricing_worker() -> dict[str, str]:
        return {"token": w.service_token("pricing", acting=False)}

    def kept_checkpoint() -> dict[str, str]:
        w.checkpoint(f"{DIGEST}/upside-down")
        return pricing_worker()

    return {
        "the demo customer ada@example.com with password demo": demo,
        "a customer signed in": signed_in,
        "a customer signed in with a stored model file": with_file,
        "a customer signed in with a stored model file drawn in inches": with_inch_file,
        "a customer signed in who has put the bytes of a started upload": bytes_put,
        "a customer signed in with an order": with_order,
        "a customer's quoted order": quoted,
        "an operator signed in and a shipped order": shipped,
        "an operator signed in and a production job waiting to start": queued,
        "an operator signed in and an order stuck in quoted": stuck_quoted,
        "a customer's stored model file, asked for by the CRM acting for that customer": asked_by("crm", True),
        "no such file for the customer, asked for by the CRM acting for that customer": asked_by("crm", False),
        "a customer's stored model file, asked for by pricing acting for that customer": asked_by("pricing", True),
        "no such file for the customer, asked for by pricing acting for that customer": asked_by("pricing", False),
        "a pricing worker": pricing_worker,
        "a pricing checkpoint kept by the File Service": kept_checkpoint,
    }
