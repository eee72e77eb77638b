"""One order's messages leave the outbox in order, even when another relay replica stalls holding older ones."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from system.kernel.messaging.catalogue import OrderCancelled
from system.kernel.messaging.envelope import Envelope
from system.kernel.messaging.outbox import add_to_outbox
from tests.plugins.messaging_rig import Rig, effects, outbox, poll


def of_order(key: str, seq: int) -> Envelope:
    return Envelope.wrap(
        OrderCancelled(order_id=uuid.uuid4(), reason=f"seq {seq}"), type="order.cancelled", producer="test",
        correlation_id=key,
    )  # fmt: skip


async def test_a_stalled_relay_holds_back_its_orders_later_messages_but_not_other_orders(rig: Rig) -> None:
    for seq in [*range(0, 5), *range(10, 15)]:  # one transaction each: ids ascend in this order
        async with rig.engine.begin() as conn:
            await add_to_outbox(
                conn, outbox, of_order("order-A" if seq < 10 else "order-B", seq), exchange=rig.exchange
            )
    async with rig.engine.connect() as stalled:  # a relay replica frozen after claiming order A's first two
        await stalled.begin()
        first_two = select(outbox.c.id).order_by(outbox.c.id).limit(2).with_for_update()
        assert len((await stalled.execute(first_two)).all()) == 2
        await rig.start_consumer(prefetch=1)
        await rig.start_relay()
        await poll(lambda: _effects_of(rig, range(10, 15)), within=30, what="order B's messages")
        await poll(lambda: _pending_is(rig, 5), within=30, what="order B's rows marked sent")
        seen = await rig.effects_per_seq()
        assert not any(seen.get(s) for s in range(2, 5))  # order A's later messages did not overtake its first two
        await stalled.rollback()  # the frozen replica dies: its claim is released
    await poll(lambda: _pending_is(rig, 0), within=30, what="order A's rows sent")
    await poll(lambda: _effects_of(rig, range(0, 5)), within=30, what="order A's messages")
    async with rig.engine.connect() as conn:
        arrival = (await conn.execute(select(effects.c.seq).order_by(effects.c.id))).scalars().all()
    assert [s for s in arrival if s < 10] == [0, 1, 2, 3, 4]


async def _effects_of(rig: Rig, seqs: range) -> bool:
    seen = await rig.effects_per_seq()
    return all(seen.get(s) for s in seqs)


async def _pending_is(rig: Rig, count: int) -> bool:
    return await rig.pending() == count
