"""The "Pricing pool" dashboard: the stateless pricing workers, their jobs, model cache and work queue."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard

from system.deploy.grafana.panels import RATE, graph, new_dashboard, row, single

UID = "pricing-pool"
REQUESTS = 'queue="pricing.requests"'
HIT_RATIO = (
    f'sum(rate(pricing_model_cache_total{{result="hit"}}[{RATE}])) / sum(rate(pricing_model_cache_total[{RATE}]))'
)


def _quantile(q: float) -> str:
    return f"histogram_quantile({q}, sum by (le) (rate(pricing_job_seconds_bucket[{RATE}])))"


def dashboard() -> Dashboard:
    """Throughput, durations and the backlog of the pricing workers."""
    return (
        new_dashboard(UID, "Pricing pool", "The pricing workers: jobs by outcome, durations, model cache, backlog.")
        .with_row(row("Pool"))
        .with_panel(single("Workers up", "Worker processes Prometheus can scrape.", ('sum(up{job="pricing"})', "up")))
        .with_panel(
            single(
                "Backlog",
                "Pricing requests waiting for a worker.",
                (f"max(rabbitmq_detailed_queue_messages_ready{{{REQUESTS}}})", "ready"),
            )
        )
        .with_panel(
            single(
                "Job duration p95",
                "95 % of jobs (file fetch and geometry included) finished within this.",
                (_quantile(0.95), "p95"),
                unit="s",
            )
        )
        .with_panel(
            single("Model cache hit ratio", "Model files read from the cache.", (HIT_RATIO, "hits"), unit="percentunit")
        )
        .with_panel(
            graph(
                "Jobs / s by outcome",
                "completed: priced; failed: cannot be priced (an answer too); error: raised, retried; "
                "skipped: its order was cancelled.",
                (f"sum by (outcome) (rate(pricing_jobs_total[{RATE}]))", "{{outcome}}"),
                unit="ops",
            )
        )
        .with_panel(
            graph(
                "Job duration",
                "From the pricing_job_seconds histogram, all outcomes.",
                (_quantile(0.5), "p50"),
                (_quantile(0.95), "p95"),
                unit="s",
            )
        )
        .with_panel(
            graph(
                "Model cache hit ratio",
                "Share of model file lookups the worker's cache answered.",
                (HIT_RATIO, "hit ratio"),
                unit="percentunit",
            )
        )
        .with_panel(
            graph(
                "Workers up",
                "1 while Prometheus can scrape the worker.",
                ('up{job="pricing"}', "{{replica}}"),
            )
        )
        .with_row(row("Slicer"))
        .with_panel(
            graph(
                "Slice duration by process",
                "One orientation through PrusaSlicer (pricing_slice_seconds); a job slices each distinct way up.",
                (
                    f"histogram_quantile(0.95, sum by (le, process) (rate(pricing_slice_seconds_bucket[{RATE}])))",
                    "p95 {{process}}",
                ),
                (
                    f"histogram_quantile(0.5, sum by (le, process) (rate(pricing_slice_seconds_bucket[{RATE}])))",
                    "p50 {{process}}",
                ),
                unit="s",
            )
        )
        .with_panel(
            graph(
                "Checkpoint reads / s",
                "hit: an orientation already sliced (a resumed job, or the same model again); error: the store failed.",
                (f"sum by (result) (rate(pricing_checkpoint_reads_total[{RATE}]))", "{{result}}"),
                unit="ops",
            )
        )
        .with_row(row("Work queue"))
        .with_panel(
            graph(
                "pricing.requests depth",
                "Ready: waiting for a worker; unacked: being priced or held for a retry.",
                (f"max(rabbitmq_detailed_queue_messages_ready{{{REQUESTS}}})", "ready"),
                (f"max(rabbitmq_detailed_queue_messages_unacked{{{REQUESTS}}})", "unacked"),
                (f"max(rabbitmq_detailed_queue_consumers{{{REQUESTS}}})", "consumers"),
            )
        )
        .with_panel(
            graph(
                "Requests consumed / s by outcome",
                "The workers' deliveries of pricing.requests; dead_lettered ones land in pricing.requests.dlq.",
                (f"sum by (outcome) (rate(messages_consumed_total{{{REQUESTS}}}[{RATE}]))", "{{outcome}}"),
                unit="ops",
            )
        )
        .with_panel(
            graph(
                "Results received by the MES / s",
                "Pricing results the MES applied, by outcome.",
                (f"sum by (outcome) (rate(mes_pricing_results_total[{RATE}]))", "{{outcome}}"),
                unit="ops",
                span=24,
            )
        )
    )
