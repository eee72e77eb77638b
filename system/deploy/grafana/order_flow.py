"""The "Order flow" dashboard: orders placed and moving through their states, the outboxes, messages, DLQs."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard

from system.deploy.grafana.panels import DLQ, RATE, graph, new_dashboard, row, single

UID = "order-flow"


def dashboard() -> Dashboard:
    """Orders, their lifecycle and the messages that carry them between the CRM, the MES and pricing."""
    return (
        new_dashboard(UID, "Order flow", "Orders placed and moving through their states, outboxes, messages, DLQs.")
        .with_row(row("Orders"))
        .with_panel(
            single(
                "Orders placed / s",
                "Orders the CRM accepted, all replicas.",
                (f"sum(rate(crm_orders_placed_total[{RATE}]))", "placed"),
                unit="ops",
            )
        )
        .with_panel(
            single(
                "Stuck orders",
                "Orders in a state for longer than its limit (CRM STUCK_AFTER); alert StuckOrders fires on these.",
                ("sum(max by (state) (crm_orders_stuck))", "stuck"),
                red_from=1,
            )
        )
        .with_panel(
            single(
                "Messages in DLQs",
                "Messages that ran out of attempts or could not be decoded: `dlq list <queue>` shows why.",
                (f"sum(max by (queue) (rabbitmq_detailed_queue_messages{{{DLQ}}}))", "dead-lettered"),
                red_from=1,
            )
        )
        .with_panel(
            single(
                "Oldest unpublished outbox row",
                "Age of the oldest outbox row not yet relayed, worst service; alert OutboxLag fires above 60 s.",
                ("max(outbox_oldest_pending_seconds)", "age"),
                unit="s",
                red_from=60,
            )
        )
        .with_panel(
            graph(
                "Orders placed / s",
                "Orders the CRM accepted, by kind of customer.",
                (f"sum by (customer_kind) (rate(crm_orders_placed_total[{RATE}]))", "{{customer_kind}}"),
                unit="ops",
            )
        )
        .with_panel(
            graph(
                "Orders by state",
                "Every CRM replica counts the same table every 15 s, so the replicas' largest value is the count.",
                ("max by (state) (crm_orders)", "{{state}}"),
            )
        )
        .with_panel(
            graph(
                "Transitions / s",
                "Order state changes by target state and by who caused them (crm: the customer, mes: production).",
                (f"sum by (state, source) (rate(crm_order_transitions_total[{RATE}]))", "{{state}} ({{source}})"),
                unit="ops",
            )
        )
        .with_panel(
            graph(
                "Stuck orders by state",
                "Orders in a state for longer than its limit.",
                ("max by (state) (crm_orders_stuck)", "{{state}}"),
            )
        )
        .with_row(row("Outboxes"))
        .with_panel(
            graph(
                "Outbox lag per service",
                "Age of the oldest unpublished outbox row; every relay of a service sees the same table.",
                ("max by (job) (outbox_oldest_pending_seconds)", "{{job}}"),
                unit="s",
            )
        )
        .with_panel(
            graph(
                "Outbox pending rows per service",
                "Rows written by a use case and not yet confirmed by the broker.",
                ("max by (job) (outbox_pending)", "{{job}}"),
            )
        )
        .with_panel(
            graph(
                "Outbox relay / s per service",
                "Rows published and marked sent; held back: a row waits for an older row of its order; errors: "
                "relay batches that failed and are retried.",
                (f"sum by (job) (rate(outbox_relayed_total[{RATE}]))", "{{job}} relayed"),
                (f"sum by (job) (rate(outbox_held_back_total[{RATE}]))", "{{job}} held back"),
                (f"sum by (job) (rate(outbox_relay_errors_total[{RATE}]))", "{{job}} errors"),
                unit="ops",
                span=24,
            )
        )
        .with_row(row("Messages"))
        .with_panel(
            graph(
                "Published / s",
                "Messages the broker confirmed, by exchange and type, and publishes it did not confirm.",
                (f"sum by (exchange, type) (rate(messages_published_total[{RATE}]))", "{{exchange}} {{type}}"),
                (f"sum by (exchange) (rate(messages_publish_failures_total[{RATE}]))", "{{exchange}} not confirmed"),
                unit="ops",
            )
        )
        .with_panel(
            graph(
                "Consumed / s by outcome",
                "processed, duplicate (the inbox had it), retried (failed, held back, then requeued), "
                "waiting (overtook its predecessor, requeued after a pause), dead_lettered.",
                (f"sum by (queue, outcome) (rate(messages_consumed_total[{RATE}]))", "{{queue}} {{outcome}}"),
                unit="ops",
            )
        )
        .with_panel(
            graph(
                "DLQ depth",
                "Messages waiting in each dead-letter queue.",
                (f"max by (queue) (rabbitmq_detailed_queue_messages{{{DLQ}}})", "{{queue}}"),
            )
        )
        .with_panel(
            graph(
                "Batch handling time p95 per queue",
                "One batch of deliveries, its transaction included.",
                (
                    f"histogram_quantile(0.95, sum by (queue, le) (rate(message_batch_seconds_bucket[{RATE}])))",
                    "{{queue}}",
                ),
                unit="s",
            )
        )
    )
