"""Every dashboard of the system, built with grafana-foundation-sdk, and its JSON as it is committed."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from grafana_foundation_sdk.builders.dashboard import Dashboard as DashboardBuilder
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import Dashboard

from system.deploy.grafana import apis, broker, order_flow, pricing_pool

BUILDERS: tuple[Callable[[], DashboardBuilder], ...] = (
    order_flow.dashboard,
    broker.dashboard,
    pricing_pool.dashboard,
    apis.dashboard,
)


def build(builder: DashboardBuilder) -> Dashboard:
    """The dashboard of `builder`, its panels numbered in order (Grafana wants ids unique within a dashboard)."""
    dashboard = builder.build()
    for number, panel in enumerate(dashboard.panels or [], start=1):
        panel.id_val = number
    return dashboard


def all_dashboards() -> list[Dashboard]:
    """Order flow, Broker, Pricing pool, APIs."""
    return [build(make()) for make in BUILDERS]


def render(dashboard: Dashboard) -> str:
    """The dashboard's JSON as committed: keys sorted, two-space indent, a trailing newline."""
    return json.dumps(dashboard, cls=JSONEncoder, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def as_dict(dashboard: Dashboard) -> dict[str, Any]:
    """The dashboard as Grafana reads it (plain JSON values)."""
    loaded: dict[str, Any] = json.loads(render(dashboard))
    return loaded
