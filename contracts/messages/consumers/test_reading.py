"""The consumer side bites: a pact message a consumer cannot use fails the consumer test, saying why."""

from __future__ import annotations

import pytest

from contracts.messages.consumers import crm_reads, mes_reads
from contracts.messages.consumers.reading import Consume
from contracts.messages.examples import decimal, order_ref, text
from contracts.messages.labels import labelled
from contracts.messages.pacts import envelope, feed, message_pact

pytestmark = labelled("messaging", "consumer tests refuse what a consumer cannot read")


def failure(consumer: str, provider: str, type_: str, payload: dict[str, object], consume: Consume) -> str:
    """What the consumer test reports for this message (fed only: never recorded into a pact file)."""
    pact = message_pact(consumer, provider)
    pact.upon_receiving(type_, "Async").with_body(envelope(type_, provider, payload), content_type="application/json")
    with pytest.raises(AssertionError) as failed:
        feed(pact, consume)
    return str(failed.value)


def test_a_message_without_a_field_the_consumer_requires_fails_naming_it() -> None:
    reported = failure("mes", "crm", "order.cancelled", order_ref(), mes_reads.consume)
    assert reported.startswith("order.cancelled: UndecodableMessage('order.cancelled payload reason: Field required")


def test_a_message_the_consumer_would_misread_fails() -> None:
    priced = {**order_ref(), "total_price": decimal("1.00"), "currency": text("EUR"), "lines": []}
    reported = failure("crm", "mes", "order.priced", {**priced, "total_price": "lots"}, crm_reads.consume)
    assert "order.priced payload total_price: Input should be a valid decimal" in reported
