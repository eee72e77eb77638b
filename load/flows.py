"""The HTTP conversations of the mix, over a Locust session: sign in, upload, place, follow, decide, operate.

Requests are named by route template (`/orders/{id}`; Locust adds the method) so stats group per endpoint.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from typing import Any

import gevent
from locust.contrib.fasthttp import FastHttpSession
from locust.env import Environment

from load.figures import QUOTE, QUOTE_NAME
from load.models import next_cube
from load.profiles import QUOTE_WITHIN_S
from load.timeline import placed_to_quoted_ms
from system.kernel.head_sampling import HeadSampler

# Valid material/process pairs of the price list (system/pricing/rates.py): every order is priceable.
COMBINATIONS = (("pla", "fdm"), ("petg", "fdm"), ("abs", "fdm"), ("nylon", "sls"), ("resin", "sla"))
POLL_EVERY = 0.5  # s between polls of a pricing order, as the Shop polls

Headers = dict[str, str]


@dataclass(frozen=True)
class Urls:
    """Base URLs of the three APIs (HAProxy on the local stack, or another environment's)."""

    crm: str
    files: str
    mes: str


class Api:
    """One virtual user's calls; failures are reported to Locust and answered with None."""

    def __init__(
        self, client: FastHttpSession, urls: Urls, environment: Environment, rng: random.Random, trace_ratio: float
    ) -> None:
        self.client = client
        self.urls = urls
        self.environment = environment
        self.rng = rng
        # Its own generator: how many requests a user sends depends on timing (polls), which must not shift the
        # seeded draws of the mix.
        self.sampler = HeadSampler(trace_ratio, random.Random())

    def _send(self, method: str, url: str, name: str, headers: Headers | None = None, **kwargs: Any) -> Any:
        """A request to one of our APIs, carrying the edge's sampling decision (system/kernel/head_sampling.py)."""
        headers = {**(headers or {}), **self.sampler.headers()}
        return self.client.request(method, url, name=name, headers=headers, catch_response=True, **kwargs)

    def _json(self, method: str, url: str, name: str, who: Headers | None = None, **kwargs: Any) -> Any:
        with self._send(method, url, name, who, **kwargs) as response:
            if not 200 <= (response.status_code or 0) < 300:
                response.failure(f"{response.status_code}: {(response.text or '')[:300]}")
                return None
            return response.json()

    def sign_in(self, email: str, password: str) -> Headers | None:
        """Bearer headers for an account (CRM POST /auth/login)."""
        body = self._json(
            "POST", f"{self.urls.crm}/auth/login", "/auth/login", json={"email": email, "password": password}
        )
        return None if body is None else {"Authorization": f"Bearer {body['access_token']}"}

    def upload(self, who: Headers) -> str | None:
        """Upload a new cube as the account `who` signs in as: ask for a URL, PUT the bytes to S3, complete."""
        name, data = next_cube(self.rng)
        ticket = self._json(
            "POST",
            f"{self.urls.files}/files/uploads",
            "/files/uploads",
            who,
            json={"filename": name, "size": len(data)},
        )
        if ticket is None:
            return None
        if ticket["url"] is None:  # our cubes are far below the multipart size
            raise RuntimeError("the File Service asked for a multipart upload of a small cube")
        with self.client.request(
            "PUT",
            ticket["url"],
            name="s3:{presigned PUT URL}",
            data=data,  # type: ignore[arg-type]  # bytes are sent as they are; Locust's annotation says str
            catch_response=True,
        ) as put:
            if put.status_code != 200:
                put.failure(f"{put.status_code}: {(put.text or '')[:300]}")
                return None
        done = self._json(
            "POST",
            f"{self.urls.files}{ticket['complete_url']}",
            "/files/uploads/{id}/complete",
            who,
            json={"parts": []},
        )
        return None if done is None else str(done["id"])

    def place(self, who: Headers, lines: list[dict[str, Any]], retry: bool = False) -> dict[str, Any] | None:
        """POST /orders with a fresh Idempotency-Key; with `retry`, send it again as a client that lost the answer
        would (the same order must come back)."""
        headers = {**who, "Idempotency-Key": str(uuid.uuid4())}
        order: dict[str, Any] | None = self._json(
            "POST", f"{self.urls.crm}/orders", "/orders", headers, json={"lines": lines}
        )
        if order is not None and retry:
            with self._send(
                "POST", f"{self.urls.crm}/orders", "/orders (retry, same key)", headers, json={"lines": lines}
            ) as again:
                if again.status_code != 200 or again.json().get("id") != order["id"]:
                    answer = f"{again.status_code}: {(again.text or '')[:200]}"
                    again.failure(f"a retry with the same Idempotency-Key answered {answer}")
        return order

    def line(self, file_id: str, quantity: int, lead_time_days: int) -> dict[str, Any]:
        material, process = self.rng.choice(COMBINATIONS)
        return {
            "file_id": file_id,
            "material": material,
            "process": process,
            "quantity": quantity,
            "lead_time_days": lead_time_days,
        }

    def order(self, who: Headers, order_id: str) -> dict[str, Any] | None:
        result: dict[str, Any] | None = self._json("GET", f"{self.urls.crm}/orders/{order_id}", "/orders/{id}", who)
        return result

    def timeline(self, who: Headers, order_id: str) -> list[dict[str, Any]] | None:
        body = self._json("GET", f"{self.urls.crm}/orders/{order_id}/timeline", "/orders/{id}/timeline", who)
        return None if body is None else list(body["items"])

    def follow_to_quote(self, who: Headers, order_id: str) -> dict[str, Any] | None:
        """Poll the order until pricing ends (as the Shop does), then record placed -> quoted from its timeline."""
        started = time.monotonic()
        while True:
            order = self.order(who, order_id)
            if order is None:
                return None
            if order["state"] != "pricing":
                break
            if time.monotonic() - started > QUOTE_WITHIN_S:
                self._quote_sample(started, f"order {order_id} still pricing after {QUOTE_WITHIN_S:g} s")
                return None
            gevent.sleep(POLL_EVERY)
        timeline = self.timeline(who, order_id)
        if timeline is None:
            return None
        latency = placed_to_quoted_ms(timeline)
        if latency is None:
            self._quote_sample(
                started, f"order {order_id} ended pricing as {order['state']}: {order['failure_reasons']}"
            )
            return None
        self.environment.events.request.fire(  # type: ignore[no-untyped-call]
            request_type=QUOTE, name=QUOTE_NAME, response_time=latency, response_length=0, exception=None, context={}
        )
        return order

    def _quote_sample(self, started: float, why: str) -> None:
        self.environment.events.request.fire(  # type: ignore[no-untyped-call]
            request_type=QUOTE,
            name=QUOTE_NAME,
            response_time=(time.monotonic() - started) * 1000,
            response_length=0,
            exception=RuntimeError(why),
            context={},
        )

    def confirm(self, who: Headers, order_id: str) -> dict[str, Any] | None:
        result: dict[str, Any] | None = self._json(
            "POST", f"{self.urls.crm}/orders/{order_id}/confirm", "/orders/{id}/confirm", who
        )
        return result

    def cancel(self, who: Headers, order_id: str, reason: str) -> None:
        """Cancel: 200 before confirmation, 202 (a request MES decides) after; 409 once production started is an
        honest answer too (an operator got there first)."""
        url = f"{self.urls.crm}/orders/{order_id}/cancel"
        with self._send("POST", url, "/orders/{id}/cancel", who, json={"reason": reason}) as r:
            if r.status_code == 409 and "in_production" in (r.text or ""):
                r.success()
            elif r.status_code not in (200, 202):
                r.failure(f"{r.status_code}: {(r.text or '')[:300]}")

    def list_orders(self, who: Headers) -> list[dict[str, Any]]:
        body = self._json("GET", f"{self.urls.crm}/orders", "/orders", who)
        return [] if body is None else list(body["items"])

    def stuck(self, who: Headers) -> None:
        self._json("GET", f"{self.urls.crm}/orders/stuck", "/orders/stuck", who)

    def queued_jobs(self, who: Headers) -> list[dict[str, Any]]:
        body = self._json("GET", f"{self.urls.mes}/production-jobs?state=queued", "/production-jobs?state=queued", who)
        return [] if body is None else list(body["items"])

    def act(self, who: Headers, job_id: str, action: str, *, taken_is_ok: bool = False) -> bool:
        """Advance a production job; with `taken_is_ok`, a 409 (another operator, or an accepted cancellation, got
        there first) is a normal answer, not a failure. True when the job moved."""
        url = f"{self.urls.mes}/production-jobs/{job_id}/{action}"
        with self._send("POST", url, f"/production-jobs/{{id}}/{action}", who) as r:
            if r.status_code == 200:
                return True
            if r.status_code == 409 and taken_is_ok:
                r.success()
            else:
                r.failure(f"{r.status_code}: {(r.text or '')[:300]}")
            return False

    def deliver_when_shipped(self, who: Headers, order_id: str, within: float = 10.0) -> None:
        """Wait for the CRM to learn of the shipment (an event from MES), then record the delivery."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            order = self.order(who, order_id)
            if order is None:
                return
            if order["state"] == "shipped":
                self._json("POST", f"{self.urls.crm}/orders/{order_id}/deliver", "/orders/{id}/deliver", who)
                return
            gevent.sleep(POLL_EVERY)
