"""Pure parts of the kernel: queue naming and attempt budget, envelope and catalogue decoding."""

from __future__ import annotations

import uuid

import pytest

from system.kernel.messaging.catalogue import CATALOGUE, EXCHANGES, OrderConfirmed, decode
from system.kernel.messaging.envelope import Envelope, UndecodableMessage
from system.kernel.messaging.topology import QueueSpec


def test_the_backoff_follows_the_delays_and_stays_on_the_last_step() -> None:
    spec = QueueSpec(name="q", retry_delays_ms=(10, 20))
    assert spec.max_attempts == 3
    assert [spec.retry_delay_s(n) for n in (1, 2, 3, 7)] == [0.01, 0.02, 0.02, 0.02]
    assert spec.dlq == "q.dlq"


def test_the_broker_delivery_limit_leaves_room_for_our_own_attempts() -> None:
    spec = QueueSpec(name="q")
    assert spec.delivery_limit > spec.max_attempts


def test_an_envelope_round_trips_through_bytes() -> None:
    env = Envelope.wrap(
        OrderConfirmed(order_id=uuid.uuid4()), type="order.confirmed", producer="crm", correlation_id="o-9"
    )
    decoded, payload = decode(env.to_bytes())
    assert decoded == env
    assert isinstance(payload, OrderConfirmed)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "invalid envelope"),
        (b"[]", "invalid envelope"),
        (b'{"type": "order.confirmed"}', "producer: Field required"),
        (
            Envelope(type="nope.nope", producer="x", correlation_id="c", payload={}).to_bytes(),
            "unknown message type 'nope.nope'",
        ),
        (
            Envelope(type="order.confirmed", producer="x", correlation_id="c", payload={"order_id": 3}).to_bytes(),
            "order.confirmed payload order_id",
        ),
    ],
)
def test_undecodable_bodies_say_why(body: bytes, reason: str) -> None:
    with pytest.raises(UndecodableMessage, match=reason):
        decode(body)


def test_every_catalogue_type_is_published_on_a_declared_exchange() -> None:
    assert {route.exchange for route in CATALOGUE.values()} == set(EXCHANGES)
    assert {"order.placed", "pricing.requested", "order.priced", "production.shipped"} <= set(CATALOGUE)
