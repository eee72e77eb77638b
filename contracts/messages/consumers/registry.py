"""Which service's handling reads which message type (the consumer side of every message pact)."""

from __future__ import annotations

from contracts.messages.consumers import crm_reads, mes_reads, pricing_reads
from contracts.messages.consumers.reading import Consume

BY_SERVICE: dict[str, Consume] = {"crm": crm_reads.consume, "mes": mes_reads.consume, "pricing": pricing_reads.consume}
BY_TYPE: dict[str, str] = {
    type_: service
    for service, module in (("crm", crm_reads), ("mes", mes_reads), ("pricing", pricing_reads))
    for type_ in module.READERS
}
# Messages generated from a release's schemas: a worker may refuse a line the cost model cannot price.
FOR_SAMPLES: dict[str, Consume] = {**BY_SERVICE, "pricing": pricing_reads.consume_any_outcome}
