"""The CRM's reader of the dead-letter queues: every work queue's DLQ, the letters about one order, outages."""

from __future__ import annotations

import socket
import uuid

import pytest

from system.crm.adapters.dead_letters import BrokerDeadLetters, BrokerUnavailable
from system.kernel.messaging.catalogue import OrderCancelled
from system.kernel.messaging.dlq import DeadLetter
from system.kernel.messaging.envelope import Envelope
from system.kernel.messaging.queues import ALL_QUEUES

URL = "amqp://guest:guest@broker.test:5672/"


def letter(queue: str, body: bytes, type_: str = "order.cancelled") -> DeadLetter:
    return DeadLetter(str(uuid.uuid4()), type_, "rejected by handler: test", queue, 1, body)


def about(order_id: uuid.UUID) -> bytes:
    payload = OrderCancelled(order_id=order_id, reason="test")
    return Envelope.wrap(payload, type="order.cancelled", producer="crm", correlation_id=str(order_id)).to_bytes()


class Dlqs:
    """DLQs in a dict, read as the kernel's `list_dead_letters` reads them (the first `limit`, left in place)."""

    def __init__(self, held: dict[str, list[DeadLetter]]) -> None:
        self.held = held
        self.read: list[tuple[str, str, int]] = []

    async def __call__(self, url: str, dlq: str, limit: int) -> list[DeadLetter]:
        self.read.append((url, dlq, limit))
        return self.held.get(dlq, [])[:limit]


async def test_the_letters_about_the_order_are_found_in_every_work_queues_dlq() -> None:
    order_id = uuid.uuid4()
    mine = [letter("crm.mes-events", about(order_id)), letter("pricing.requests", about(order_id))]
    others = [
        letter("crm.mes-events", about(uuid.uuid4())),
        letter("mes.crm-events", b"\xff not even text"),
        letter("mes.crm-events", b'["json", "but no envelope"]'),
    ]
    dlqs = Dlqs({"crm.mes-events.dlq": [mine[0], others[0]], "pricing.requests.dlq": [mine[1]],
                 "mes.crm-events.dlq": others[1:]})  # fmt: skip

    scan = await BrokerDeadLetters(URL, read=dlqs).for_order(order_id)

    assert sorted(d.message_id for d in scan.letters) == sorted(d.message_id for d in mine)
    assert {d.queue for d in scan.letters} == {"crm.mes-events", "pricing.requests"} and scan.complete
    assert sorted(dlq for _, dlq, _ in dlqs.read) == sorted(q.dlq for q in ALL_QUEUES)


async def test_a_dlq_longer_than_one_lookup_reads_makes_the_answer_incomplete() -> None:
    order_id = uuid.uuid4()
    dlqs = Dlqs({"crm.mes-events.dlq": [letter("crm.mes-events", about(uuid.uuid4())) for _ in range(3)]})

    assert not (await BrokerDeadLetters(URL, limit=3, read=dlqs).for_order(order_id)).complete
    assert (await BrokerDeadLetters(URL, limit=4, read=dlqs).for_order(order_id)).complete


async def test_an_unreachable_broker_is_broker_unavailable() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(BrokerUnavailable):
        await BrokerDeadLetters(f"amqp://guest:guest@127.0.0.1:{port}/").for_order(uuid.uuid4())


async def test_anything_but_an_outage_is_not_mistaken_for_one() -> None:
    async def broken(url: str, dlq: str, limit: int) -> list[DeadLetter]:
        raise KeyError(dlq)

    with pytest.raises(KeyError):
        await BrokerDeadLetters(URL, read=broken).for_order(uuid.uuid4())
