"""MES message handlers: each wraps the consumer's transaction in a unit of work and calls the use case."""

from __future__ import annotations

from typing import Any

from system.kernel.messaging.consumer import Handler
from system.kernel.messaging.queues import MES_CRM_EVENTS, MES_PRICING_RESULTS
from system.kernel.messaging.topology import QueueSpec
from system.kernel.uow import in_unit_of_work
from system.mes import cancellation, pricing_flow, production
from system.mes.adapters.uow import MesUnitOfWork


def _in_uow(use_case: Any) -> Handler:
    return in_unit_of_work(MesUnitOfWork, use_case)


CONSUMERS: list[tuple[QueueSpec, dict[str, Handler]]] = [
    (
        MES_CRM_EVENTS,
        {
            "order.placed": _in_uow(pricing_flow.order_placed),
            "order.confirmed": _in_uow(production.order_confirmed),
            "order.cancelled": _in_uow(cancellation.order_cancelled),
            "order.cancellation_requested": _in_uow(cancellation.cancellation_requested),
        },
    ),
    (
        MES_PRICING_RESULTS,
        {
            "pricing.completed": _in_uow(pricing_flow.pricing_completed),
            "pricing.failed": _in_uow(pricing_flow.pricing_failed),
            "pricing.progress": _in_uow(pricing_flow.pricing_progress),
        },
    ),
]
