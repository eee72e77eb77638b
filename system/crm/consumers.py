"""CRM message handlers: each wraps the consumer's transaction in a unit of work and calls the use case."""

from __future__ import annotations

from typing import Any

from system.crm import tracking
from system.crm.adapters.uow import CrmUnitOfWork
from system.kernel.messaging.consumer import Handler
from system.kernel.messaging.queues import CRM_MES_EVENTS
from system.kernel.messaging.topology import QueueSpec
from system.kernel.uow import in_unit_of_work


def _in_uow(use_case: Any) -> Handler:
    return in_unit_of_work(CrmUnitOfWork, use_case)


CONSUMERS: list[tuple[QueueSpec, dict[str, Handler]]] = [
    (
        CRM_MES_EVENTS,
        {
            "order.priced": _in_uow(tracking.order_priced),
            "order.pricing_failed": _in_uow(tracking.order_pricing_failed),
            "order.cancellation_accepted": _in_uow(tracking.cancellation_accepted),
            "order.cancellation_refused": _in_uow(tracking.cancellation_refused),
            **{t: _in_uow(tracking.production_event) for t in tracking.PRODUCTION_STATES},
        },
    )
]
