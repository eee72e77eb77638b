"""The "APIs" dashboard: rate, errors and duration of every HTTP service, and the outages behind its 503s."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard

from system.deploy.grafana.panels import NOT_OPS, RATE, graph, new_dashboard, row, single

UID = "apis"
HTTP_JOBS = 'job=~"crm|mes|files|shop"'
HTTP_PROXIES = 'proxy=~"crm|mes|files|shop"'
ERRORS = (
    f'sum by (service) (rate(http_requests_total{{{NOT_OPS}, status=~"5.."}}[{RATE}]))'
    f" / sum by (service) (rate(http_requests_total{{{NOT_OPS}}}[{RATE}]))"
)

HAPROXY_5XX = f'sum by (proxy) (rate(haproxy_backend_http_responses_total{{{HTTP_PROXIES}, code="5xx"}}[{RATE}]))'


def _latency(q: float) -> str:
    return (
        f"histogram_quantile({q}, sum by (service, route, le) (rate(http_request_seconds_bucket{{{NOT_OPS}}}[{RATE}])))"
    )


def dashboard() -> Dashboard:
    """The RED view of the CRM, MES, File Service and Shop (health checks and scrapes left out)."""
    return (
        new_dashboard(UID, "APIs", "Request rate, 5xx share, latency per service and route, dependency outages.")
        .with_row(row("Overview"))
        .with_panel(
            single(
                "Requests / s",
                "All services, all replicas.",
                (f"sum(rate(http_requests_total{{{NOT_OPS}}}[{RATE}]))", "requests"),
                unit="reqps",
            )
        )
        .with_panel(
            single(
                "5xx share",
                "Server errors among all answers; a 503 is an outage of a dependency, a 500 a bug.",
                (
                    f'sum(rate(http_requests_total{{{NOT_OPS}, status=~"5.."}}[{RATE}]))'
                    f" / sum(rate(http_requests_total{{{NOT_OPS}}}[{RATE}]))",
                    "5xx",
                ),
                unit="percentunit",
                red_from=0.01,
            )
        )
        .with_panel(
            single(
                "Replicas up",
                "HTTP service replicas Prometheus can scrape.",
                (f"sum(up{{{HTTP_JOBS}}})", "up"),
            )
        )
        .with_panel(
            single(
                "Dependency outages / s",
                "Requests answered 503 because a database, the object store or another service was down.",
                (f"sum(rate(http_dependency_outages_total[{RATE}]))", "outages"),
                unit="reqps",
                red_from=0.01,
            )
        )
        .with_row(row("Rate and errors"))
        .with_panel(
            graph(
                "Requests / s per service",
                "Customer and service traffic by answer status.",
                (
                    f"sum by (service, status) (rate(http_requests_total{{{NOT_OPS}}}[{RATE}]))",
                    "{{service}} {{status}}",
                ),
                unit="reqps",
            )
        )
        .with_panel(
            graph(
                "5xx share per service", "Server errors among all answers.", (ERRORS, "{{service}}"), unit="percentunit"
            )
        )
        .with_panel(
            graph(
                "Requests / s per replica",
                "How HAProxy spreads the load.",
                (f"sum by (replica) (rate(http_requests_total{{{NOT_OPS}}}[{RATE}]))", "{{replica}}"),
                unit="reqps",
            )
        )
        .with_panel(
            graph(
                "Dependency outages (503) / s per service",
                "Answered 503 with Retry-After by the service itself; HAProxy's own 5xx: no replica could answer.",
                (f"sum by (job) (rate(http_dependency_outages_total[{RATE}]))", "{{job}}"),
                (HAPROXY_5XX, "haproxy {{proxy}} 5xx"),
                unit="reqps",
            )
        )
        .with_row(row("Latency"))
        .with_panel(
            graph(
                "p95 latency per route",
                "95 % of requests answered within this.",
                (_latency(0.95), "{{service}} {{route}}"),
                unit="s",
            )
        )
        .with_panel(
            graph(
                "p99 latency per route",
                "99 % of requests answered within this.",
                (_latency(0.99), "{{service}} {{route}}"),
                unit="s",
            )
        )
        .with_row(row("Replicas"))
        .with_panel(
            graph(
                "Replicas up (Prometheus)",
                "1 while Prometheus can scrape the replica.",
                (f"up{{{HTTP_JOBS}}}", "{{replica}}"),
            )
        )
        .with_panel(
            graph(
                "Replicas in rotation (HAProxy)",
                "Servers whose health check passes: the ones HAProxy sends requests to.",
                (f"haproxy_backend_active_servers{{{HTTP_PROXIES}}}", "{{proxy}}"),
            )
        )
    )
