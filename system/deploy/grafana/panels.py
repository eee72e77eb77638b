"""Building blocks shared by the dashboards: one Prometheus data source, time series and stat panels, rows."""

from __future__ import annotations

from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import prometheus, stat, timeseries
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models.dashboard import (
    DashboardCursorSync,
    DataSourceRef,
    Threshold,
    ThresholdsMode,
)

DATASOURCE_VARIABLE = "datasource"
# Every panel reads the data source the viewer picks, so one JSON serves any Grafana with a Prometheus.
DATASOURCE = DataSourceRef(type_val="prometheus", uid=f"${{{DATASOURCE_VARIABLE}}}")
RATE = "$__rate_interval"  # Grafana's window for rate(): at least four scrape intervals, whatever the zoom
NOT_OPS = 'route!~"/healthz|/readyz|/metrics"'  # HAProxy's health checks and scrapes are no customer traffic
DLQ = 'queue=~".+\\\\.dlq"'
NOT_DLQ = 'queue!~".+\\\\.dlq"'

Target = tuple[str, str]  # (PromQL expression, legend)


def new_dashboard(uid: str, title: str, description: str) -> dash.Dashboard:
    """An empty dashboard with our defaults: the data source variable, last hour, 30 s refresh, shared crosshair."""
    return (
        dash.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["order-system", uid])
        .time("now-1h", "now")
        .refresh("30s")
        .timezone("browser")
        .tooltip(DashboardCursorSync.CROSSHAIR)
        .with_variable(dash.DatasourceVariable(DATASOURCE_VARIABLE).label("Data source").type("prometheus"))
    )


def row(title: str) -> dash.Row:
    """A row header; the panels added after it sit under it."""
    return dash.Row(title)


def _queries(targets: tuple[Target, ...]) -> list[prometheus.Dataquery]:
    return [
        prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(chr(ord("A") + i)).range()
        for i, (expr, legend) in enumerate(targets)
    ]


def graph(title: str, description: str, *targets: Target, unit: str = "short", span: int = 12) -> timeseries.Panel:
    """A time series panel of one or more queries, its legend as a table with the last and largest values."""
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .span(span)
        .height(8)
        .legend(
            common_builders.VizLegendOptions()
            .display_mode(common.LegendDisplayMode.TABLE)
            .placement(common.LegendPlacement.BOTTOM)
            .show_legend(True)
            .calcs(["lastNotNull", "max"])
        )
        .tooltip(
            common_builders.VizTooltipOptions().mode(common.TooltipDisplayMode.MULTI).sort(common.SortOrder.DESCENDING)
        )
    )
    for query in _queries(targets):
        panel.with_target(query)
    return panel


def single(
    title: str, description: str, target: Target, *, unit: str = "short", red_from: float | None = None
) -> stat.Panel:
    """A stat panel of one query's last value; red from `red_from` on, if given."""
    steps = [Threshold(value=None, color="green")]
    if red_from is not None:
        steps.append(Threshold(value=red_from, color="red"))
    return (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .span(6)
        .height(4)
        .thresholds(dash.ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps(steps))
        .graph_mode(common.BigValueGraphMode.AREA)
        .color_mode(common.BigValueColorMode.VALUE)
        .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .with_target(_queries((target,))[0])
    )
