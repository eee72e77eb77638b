"""The broker's and HAProxy's metric names that dashboards and alerts read exist in a live scrape."""

from __future__ import annotations

import contextlib

import httpx

from system.deploy.metrics import EXTERNAL_METRICS
from system.stack.process import StackError, wait_until
from system.stack.stack import Stack


def test_every_external_metric_the_dashboards_and_rules_read_is_scraped(stack: Stack) -> None:
    missing: set[str] = set(EXTERNAL_METRICS)

    def scraped() -> bool:
        names = httpx.get(f"{stack.prometheus.url}/api/v1/label/__name__/values", timeout=10).json()["data"]
        missing.intersection_update(set(EXTERNAL_METRICS) - set(names))
        return not missing

    with contextlib.suppress(StackError):  # the assertion below names what is missing
        wait_until(scraped, timeout=30, what="the broker's and HAProxy's metrics in Prometheus")
    assert not missing, f"not exposed by this RabbitMQ/HAProxy: {sorted(missing)}"
