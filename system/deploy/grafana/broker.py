"""The "Broker" dashboard: the RabbitMQ nodes, their queues, and publishing with confirms."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard

from system.deploy.grafana.panels import DLQ, NOT_DLQ, RATE, graph, new_dashboard, row, single

UID = "broker"
# The node-level families come from /metrics (job rabbitmq); identity_info is on /metrics/detailed too (job
# rabbitmq-queues), so every node-level selector names its job: otherwise a node counts twice.
NODES = 'job="rabbitmq"'
ALARMS = (
    f"sum(rabbitmq_alarms_memory_used_watermark{{{NODES}}}) + sum(rabbitmq_alarms_free_disk_space_watermark{{{NODES}}})"
)


def dashboard() -> Dashboard:
    """RabbitMQ as Prometheus scrapes it on every node (label `node`) and as HAProxy and the clients see it."""
    return (
        new_dashboard(UID, "Broker", "The RabbitMQ cluster: nodes, queues, dead letters, publish confirms.")
        .with_row(row("Nodes"))
        .with_panel(
            single(
                "Nodes up",
                "Nodes Prometheus can scrape; quorum queues need a majority.",
                (f"sum(up{{{NODES}}})", "up"),
            )
        )
        .with_panel(
            single(
                "Nodes behind HAProxy",
                "AMQP servers HAProxy's health checks see as up: where clients can (re)connect.",
                ('sum(haproxy_backend_active_servers{proxy="amqp"})', "active"),
            )
        )
        .with_panel(
            single(
                "Resource alarms",
                "Nodes with a memory or disk alarm: they block every publisher.",
                (ALARMS, "alarms"),
                red_from=1,
            )
        )
        .with_panel(
            single(
                "Messages in DLQs",
                "Messages that ran out of attempts or could not be decoded.",
                (f"sum(max by (queue) (rabbitmq_detailed_queue_messages{{{DLQ}}}))", "dead-lettered"),
                red_from=1,
            )
        )
        .with_panel(
            graph(
                "Node up",
                "1 while Prometheus can scrape the node; the cluster name each node reports beside it.",
                (f"up{{{NODES}}}", "{{node}}"),
                (f"count by (rabbitmq_cluster) (rabbitmq_identity_info{{{NODES}}})", "nodes in {{rabbitmq_cluster}}"),
            )
        )
        .with_panel(
            graph(
                "AMQP servers in HAProxy",
                "1 while HAProxy's health check passes for the node.",
                ('haproxy_server_status{proxy="amqp", state="UP"}', "{{server}}"),
            )
        )
        .with_panel(
            graph(
                "Connections per node",
                "AMQP connections open on each node (the services' publishers and consumers).",
                (f"sum by (node) (rabbitmq_connections{{{NODES}}})", "{{node}}"),
            )
        )
        .with_panel(
            graph(
                "Resource alarms per node",
                "1 while the alarm is in effect.",
                (f"max by (node) (rabbitmq_alarms_memory_used_watermark{{{NODES}}})", "{{node}} memory"),
                (f"max by (node) (rabbitmq_alarms_free_disk_space_watermark{{{NODES}}})", "{{node}} disk"),
            )
        )
        .with_row(row("Queues"))
        .with_panel(
            graph(
                "Ready per queue",
                "Messages waiting for a consumer. A queue is reported by the node leading it: max counts it once.",
                (f"max by (queue) (rabbitmq_detailed_queue_messages_ready{{{NOT_DLQ}}})", "{{queue}}"),
            )
        )
        .with_panel(
            graph(
                "Unacked per queue",
                "Messages delivered and not yet acknowledged (being handled, or held for a retry's backoff).",
                (f"max by (queue) (rabbitmq_detailed_queue_messages_unacked{{{NOT_DLQ}}})", "{{queue}}"),
            )
        )
        .with_panel(
            graph(
                "Consumers per queue",
                "Zero means every replica of the consuming service is down or disconnected.",
                (f"max by (queue) (rabbitmq_detailed_queue_consumers{{{NOT_DLQ}}})", "{{queue}}"),
            )
        )
        .with_panel(
            graph(
                "DLQ depth",
                "Messages waiting in each dead-letter queue: `dlq list <queue>`, fix, `dlq replay`.",
                (f"max by (queue) (rabbitmq_detailed_queue_messages{{{DLQ}}})", "{{queue}}"),
            )
        )
        .with_row(row("Publishing"))
        .with_panel(
            graph(
                "Publish confirms / s (broker)",
                "Messages received expecting a confirm, and confirms sent, per node.",
                (
                    f"sum by (node) (rate(rabbitmq_global_messages_received_confirm_total{{{NODES}}}[{RATE}]))",
                    "{{node}} received",
                ),
                (
                    f"sum by (node) (rate(rabbitmq_global_messages_confirmed_total{{{NODES}}}[{RATE}]))",
                    "{{node}} confirmed",
                ),
                unit="ops",
            )
        )
        .with_panel(
            graph(
                "Publish confirms and failures / s (clients)",
                "Publishes confirmed and not confirmed, per publishing service.",
                (f"sum by (job) (rate(messages_published_total[{RATE}]))", "{{job}} confirmed"),
                (f"sum by (job) (rate(messages_publish_failures_total[{RATE}]))", "{{job}} failed"),
                unit="ops",
            )
        )
        .with_panel(
            graph(
                "Unroutable messages / s",
                "Published to an exchange with no matching binding: a topology bug, the message is lost or returned.",
                (f"sum(rate(rabbitmq_global_messages_unroutable_dropped_total{{{NODES}}}[{RATE}]))", "dropped"),
                (f"sum(rate(rabbitmq_global_messages_unroutable_returned_total{{{NODES}}}[{RATE}]))", "returned"),
                unit="ops",
                span=24,
            )
        )
    )
