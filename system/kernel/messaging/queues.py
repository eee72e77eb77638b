"""Every work queue of the system and what feeds it (DESIGN.md §3): the routing half of the message contracts.

Any service declares all of them at start-up, so a message published before its consumer first ran is
queued, not returned as unroutable.
"""

from __future__ import annotations

from system.kernel.messaging.topology import QueueSpec

# CRM: every MES event, in one queue so that one order's events are applied in the order they were sent.
CRM_MES_EVENTS = QueueSpec("crm.mes-events", bindings=(("mes.events", "order.*"), ("mes.events", "production.*")))
# MES: the customer's decisions, and the pricing workers' results.
MES_CRM_EVENTS = QueueSpec("mes.crm-events", bindings=(("crm.events", "order.*"),))
MES_PRICING_RESULTS = QueueSpec("mes.pricing-results", bindings=(("pricing.events", "pricing.*"),))
# Pricing workers: one job per message; a job may take up to 30 minutes (the broker's consumer_timeout is above).
PRICING_REQUESTS = QueueSpec("pricing.requests", bindings=(("mes.pricing", "pricing.requested"),))

ALL_QUEUES = (CRM_MES_EVENTS, MES_CRM_EVENTS, MES_PRICING_RESULTS, PRICING_REQUESTS)
