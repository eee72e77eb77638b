"""What a dashboard's JSON must satisfy: every panel queries our Prometheus with a non-empty expression that
reads only metrics the stack exposes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Set
from typing import Any

from system.deploy.promql import metric_names


def panels(dashboard: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every panel that shows data (rows are headers only; a collapsed row's panels count)."""
    for panel in dashboard.get("panels") or []:
        if panel.get("type") == "row":
            yield from panel.get("panels") or []
        else:
            yield panel


def _exprs(panel: Mapping[str, Any]) -> list[str]:
    return [str(target.get("expr") or "") for target in panel.get("targets") or []]


def referenced_metrics(dashboard: Mapping[str, Any]) -> set[str]:
    """Every metric name the dashboard's queries read."""
    return {name for panel in panels(dashboard) for expr in _exprs(panel) for name in metric_names(expr)}


def _is_prometheus(source: object) -> bool:
    return isinstance(source, Mapping) and source.get("type") == "prometheus" and bool(source.get("uid"))


def problems(dashboard: Mapping[str, Any], exposed: Set[str]) -> list[str]:
    """What is wrong with the dashboard, one line per fault naming the dashboard and the panel; empty if nothing."""
    found = []
    for panel in panels(dashboard):
        where = f"{dashboard.get('uid')}: panel {panel.get('title')!r}"
        targets = panel.get("targets") or []
        if not targets:
            found.append(f"{where} has no query")
        for target in targets:
            if not (_is_prometheus(panel.get("datasource")) or _is_prometheus(target.get("datasource"))):
                found.append(f"{where} has no Prometheus data source (query {target.get('refId')!r})")
            expr = str(target.get("expr") or "").strip()
            if not expr:
                found.append(f"{where} has an empty expression (query {target.get('refId')!r})")
            found += [
                f"{where} reads metric {name!r}, which the stack does not expose"
                for name in sorted(metric_names(expr) - exposed)
            ]
    return found
