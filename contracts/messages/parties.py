"""Who produces and who consumes each message type, read from the code that does it (not a list kept by hand).

Producer: the owner of the topic exchange the catalogue routes the type to (`<service>.<name>`). Consumer: the
service whose handler table, on a work queue bound to that exchange, handles the type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from system.crm.consumers import CONSUMERS as CRM
from system.kernel.messaging.catalogue import CATALOGUE
from system.kernel.messaging.queues import PRICING_REQUESTS
from system.kernel.messaging.topology import QueueSpec
from system.mes.consumers import CONSUMERS as MES
from system.pricing.consumers import handlers as pricing_handlers


@dataclass(frozen=True)
class Receiver:
    """A service consuming one work queue with a handler per message type."""

    service: str
    queue: QueueSpec
    types: tuple[str, ...]


def receivers() -> list[Receiver]:
    """Every consuming (service, queue) and the types its handler table handles."""
    pricing_table: dict[str, Any] = pricing_handlers(None, None, None)  # type: ignore[arg-type]  # only the keys matter
    tables = (
        [("crm", q, t) for q, t in CRM]
        + [("mes", q, t) for q, t in MES]
        + [("pricing", PRICING_REQUESTS, pricing_table)]
    )
    return [Receiver(service, queue, tuple(sorted(table))) for service, queue, table in tables]


def producer_of(type_: str) -> str:
    """The service that publishes `type_`: the owner of its exchange."""
    return CATALOGUE[type_].exchange.split(".")[0]


def routed(queue: QueueSpec, type_: str) -> bool:
    """Whether the queue's bindings route `type_` to it (topic patterns: `*` one word, `#` any)."""
    return any(exchange == CATALOGUE[type_].exchange and _topic(pattern, type_) for exchange, pattern in queue.bindings)


def consumers_of(type_: str) -> list[Receiver]:
    """The receivers that handle `type_` (exactly one, in a sound catalogue)."""
    return [r for r in receivers() if type_ in r.types]


def _topic(pattern: str, key: str) -> bool:
    regex = r"\.".join({"*": r"[^.]+", "#": r".*"}.get(word, re.escape(word)) for word in pattern.split("."))
    return re.fullmatch(regex, key) is not None
