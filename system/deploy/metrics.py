"""The metrics the stack exposes: ours (prometheus_client's registry), the broker's and HAProxy's, Prometheus' `up`."""

from __future__ import annotations

import importlib

from prometheus_client import REGISTRY
from prometheus_client.registry import CollectorRegistry

# Every module that defines a metric at import time (tests/unit/deploy checks that none is missing).
METRIC_MODULES = (
    "system.kernel.http",
    "system.kernel.outages",
    "system.kernel.messaging.publisher",
    "system.kernel.messaging.consumer",
    "system.kernel.messaging.outbox",
    "system.crm.service",
    "system.crm.app",
    "system.crm.tracking",
    "system.mes.pricing_flow",
    "system.mes.cancellation",
    "system.mes.production",
    "system.pricing.consumers",
    "system.pricing.adapters.model_cache",
    "system.pricing.adapters.checkpoint_store",
    "system.pricing.service",
    "system.files.service",
    "system.files.checkpoints",
)

# Metrics of the broker and of HAProxy that the dashboards read: the only names not defined in our code, so the
# integration tests check each one against a live scrape (a rename in an upgrade shows up there, not on a wall).
EXTERNAL_METRICS = (
    # RabbitMQ 3.10, rabbitmq_prometheus on /metrics (job rabbitmq, one target per node, label `node`).
    "rabbitmq_identity_info",
    "rabbitmq_connections",
    "rabbitmq_alarms_memory_used_watermark",
    "rabbitmq_alarms_free_disk_space_watermark",
    "rabbitmq_global_messages_received_confirm_total",
    "rabbitmq_global_messages_confirmed_total",
    "rabbitmq_global_messages_unroutable_dropped_total",
    "rabbitmq_global_messages_unroutable_returned_total",
    # RabbitMQ on /metrics/detailed?family=queue_coarse_metrics&family=queue_consumer_count (job rabbitmq-queues).
    "rabbitmq_detailed_queue_messages_ready",
    "rabbitmq_detailed_queue_messages_unacked",
    "rabbitmq_detailed_queue_messages",
    "rabbitmq_detailed_queue_consumers",
    # HAProxy 2.6's built-in exporter on the stats listener's /metrics (job haproxy).
    "haproxy_backend_active_servers",
    "haproxy_backend_http_responses_total",
    "haproxy_server_status",
)
PROMETHEUS_METRICS = ("up",)  # what Prometheus records itself for every target

# The series a family of each type exposes (a counter's family name drops its `_total`). Derived from the type,
# not from the samples: a labelled metric has no sample before its first use. `_created` is left out on purpose,
# since whether it is there depends on which metrics this process used; no dashboard should read it.
_SUFFIXES = {
    "counter": ("_total",),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum"),
    "gaugehistogram": ("_bucket", "_gcount", "_gsum"),
    "summary": ("", "_count", "_sum"),
    "info": ("_info",),
    "stateset": ("",),
    "unknown": ("",),
}


def registered(registry: CollectorRegistry = REGISTRY) -> set[str]:
    """Every series name `registry` exposes, including those of labelled metrics not used yet."""
    return {family.name + suffix for family in registry.collect() for suffix in _SUFFIXES[family.type]}


def own_metrics() -> set[str]:
    """The series names of our services, after importing every module that defines one."""
    for module in METRIC_MODULES:
        importlib.import_module(module)
    return registered()


def exposed_metrics() -> set[str]:
    """Every metric name a dashboard may read: ours, the broker's and HAProxy's, and Prometheus' `up`."""
    return own_metrics() | set(EXTERNAL_METRICS) | set(PROMETHEUS_METRICS)
