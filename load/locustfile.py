"""The load mix: customers (B2C), B2B buyers and shop-floor operators against the real APIs over HTTP.

Mix (user weights or fixed counts; task weights inside each user; think time between tasks):

- Visitor (B2C, `ada@example.com`), weight 2, think time 0.5-2 s: my orders, then one with its timeline, as the
  order list page and a click do. Most of a shop's requests: people look far more often than they order.
- Customer (B2C, `ada@example.com`), weight 1, think time 15-45 s: a new model: upload, order, follow to the
  quote, confirm or cancel (3); reorder a model uploaded before (1). The think time is a person choosing a file,
  a material and a quantity.
- BulkBuyer (B2B, `buyer@acme.example`), one, think time 30-90 s: a bulk order of 2-5 new models, 50-500 of
  each (2); a repeat order of models it sent before (1).
- Operator (`operator@factory.example`), one, think time 1-2 s: look at the queue (3); advance a job: start,
  complete, QC pass, ship, then record the delivery (3); stuck orders (1).

Why ordering is paced: every new model is sliced for real (system/pricing), 1-2 s for an FDM cube and up to
40 s for an SLA one on this 2-core stack under load. The previous mix (every customer ordering every few
seconds) asked the two pricing workers for about five times what they can slice, so its placed -> quoted
figure measured nothing but the length of the queue (README "Load"). With 15 users this mix asks for about 7
new lines a minute, around 60 % of what the two workers sliced under load; the step profile finds where it
breaks.

After a quote, a customer confirms (65 %), cancels it (20 %), or confirms and then cancels (15 %: a request MES
decides, 202). One order in 20 is sent twice with its Idempotency-Key, as a client that lost the answer would.
Every quoted order adds a `placed -> quoted` sample (request type QUOTE) measured from the order's timeline.
Every draw, think times included, comes from the user's own generator, seeded per run (`--seed`, load.profiles).

Run through `python -m load.suite` (what `qa run load` does); it passes the options below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from locust import events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment

from load import hooks
from load.draws import paced, pick
from load.flows import Api, Headers, Urls
from system.crm.seed import DEMO_ACCOUNTS

B2C, B2B, OPERATOR = (a.email for a in DEMO_ACCOUNTS)


def _quitting(environment: Environment, **_: Any) -> None:
    hooks.on_quitting(environment)


events.init_command_line_parser.add_listener(hooks.add_options)  # type: ignore[no-untyped-call]
events.quitting.add_listener(_quitting)  # type: ignore[no-untyped-call]
events.test_stopping.add_listener(hooks.on_stopping)  # type: ignore[no-untyped-call]


class _Signed(FastHttpUser):
    """A user signed in as one demo account, with the API calls of the mix."""

    abstract = True
    host = "http://127.0.0.1"  # unused: every request names its service's full URL (Urls)
    email = ""
    who: Headers

    def on_start(self) -> None:
        options = self.environment.parsed_options
        urls = Urls(crm=options.crm_url, files=options.files_url, mes=options.mes_url)
        self.rng = hooks.user_rng(self.environment, type(self).__name__)
        self.api = Api(self.client, urls, self.environment, self.rng, options.trace_ratio)
        who = self.api.sign_in(self.email, options.password)
        if who is None:
            self.stop()  # the failed login is in the stats; this user has nothing else to do
            return
        self.who = who
        self.files: list[str] = []

    @task
    def next_chore(self) -> None:
        """One of the user's chores, drawn by weight from its seeded generator (Locust's own choice of task uses
        the global one, shared by every user in an order that depends on timing)."""
        pick(self.rng, self.chores())()

    def chores(self) -> dict[Callable[[], None], int]:
        """What this kind of user does, with weights."""
        raise NotImplementedError

    def new_model(self) -> str | None:
        file_id = self.api.upload(self.who)
        if file_id is not None:
            self.files = [*self.files[-19:], file_id]
        return file_id

    def decide(self, order: dict[str, Any], confirm: float, then_cancel: float) -> None:
        """Confirm the quote with probability `confirm` (and then cancel with `then_cancel`), else cancel it."""
        order_id = str(order["id"])
        if self.rng.random() >= confirm:
            self.api.cancel(self.who, order_id, "changed my mind")
        elif self.api.confirm(self.who, order_id) is not None and self.rng.random() < then_cancel:
            self.api.cancel(self.who, order_id, "ordered by mistake")

    def browse(self) -> None:
        """My orders, then one of them with its timeline, as the order list page and a click do."""
        orders = self.api.list_orders(self.who)
        if orders:
            order_id = str(self.rng.choice(orders[:20])["id"])
            self.api.order(self.who, order_id)
            self.api.timeline(self.who, order_id)


class Visitor(_Signed):
    """A B2C customer looking at their orders."""

    weight = 2
    wait_time = paced(0.5, 2)
    email = B2C

    def chores(self) -> dict[Callable[[], None], int]:
        return {self.browse: 1}


class Customer(_Signed):
    """A B2C customer ordering new models, or models uploaded before."""

    weight = 1
    wait_time = paced(15, 45)
    email = B2C

    def chores(self) -> dict[Callable[[], None], int]:
        return {self.order_new_model: 3, self.reorder: 1}

    def order_new_model(self) -> None:
        file_id = self.new_model()
        if file_id is None:
            return
        line = self.api.line(file_id, quantity=self.rng.randint(1, 5), lead_time_days=self.rng.choice((3, 7, 14)))
        self._order([line])

    def reorder(self) -> None:
        file_id = self.rng.choice(self.files) if self.files else self.new_model()
        if file_id is not None:
            self._order([self.api.line(file_id, quantity=self.rng.randint(1, 10), lead_time_days=7)])

    def _order(self, lines: list[dict[str, Any]]) -> None:
        order = self.api.place(self.who, lines, retry=self.rng.random() < 0.05)
        if order is None:
            return
        quoted = self.api.follow_to_quote(self.who, str(order["id"]))
        if quoted is not None:
            self.decide(quoted, confirm=0.8, then_cancel=0.19)  # 65 % confirmed, 15 % confirmed then cancelled


class BulkBuyer(_Signed):
    """A B2B buyer: large orders of several models in larger quantities, new ones or ones sent before."""

    fixed_count = 1
    wait_time = paced(30, 90)
    email = B2B

    def chores(self) -> dict[Callable[[], None], int]:
        return {self.bulk_order: 2, self.repeat_order: 1}

    def bulk_order(self) -> None:
        self._bulk([f for f in (self.new_model() for _ in range(self.rng.randint(2, 5))) if f is not None])

    def repeat_order(self) -> None:
        known = self.rng.sample(self.files, min(len(self.files), self.rng.randint(2, 5)))
        self._bulk(known or [f for f in [self.new_model()] if f is not None])

    def _bulk(self, files: list[str]) -> None:
        if not files:
            return
        lines = [
            self.api.line(f, quantity=self.rng.randint(50, 500), lead_time_days=self.rng.choice((14, 21, 30)))
            for f in files
        ]
        order = self.api.place(self.who, lines)
        if order is not None and (quoted := self.api.follow_to_quote(self.who, str(order["id"]))) is not None:
            self.decide(quoted, confirm=0.8, then_cancel=0.0)


class Operator(_Signed):
    """The operator console: the queue, advancing jobs through production, stuck orders."""

    fixed_count = 1
    wait_time = paced(1, 2)
    email = OPERATOR

    def chores(self) -> dict[Callable[[], None], int]:
        return {self.queue: 3, self.advance: 3, self.stuck_orders: 1}

    def queue(self) -> None:
        self.api.queued_jobs(self.who)

    def advance(self) -> None:
        jobs = self.api.queued_jobs(self.who)
        if not jobs:
            return
        job = self.rng.choice(jobs[:10])  # oldest first: operators work from the front of the queue
        if not self.api.act(self.who, job["id"], "start", taken_is_ok=True):
            return
        for action in ("complete", "qc-pass", "ship"):
            if not self.api.act(self.who, job["id"], action):
                return
        self.api.deliver_when_shipped(self.who, str(job["order_id"]))

    def stuck_orders(self) -> None:
        self.api.stuck(self.who)
