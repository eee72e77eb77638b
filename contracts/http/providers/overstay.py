"""An order made stuck: when it entered its state moved back past that state's limit, through the CRM's own code.

An order counts as stuck only after minutes to days in one state (`STUCK_AFTER`), longer than a provider state can
wait; so the state rewrites `state_since` of an order the real flow brought there, loaded and saved by the CRM's
unit of work and repository (`SqlOrders.save` under the order's row lock), as the CRM itself stores it.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from system.crm.adapters.uow import CrmUnitOfWork
from system.crm.domain import STUCK_AFTER, State
from system.kernel.db import make_engine
from system.kernel.uow import transactional

# Well past the limit, not on its edge: the order must still count as stuck whichever clock the CRM reads.
MARGIN = timedelta(hours=1)


def overstay(database_url: str, order_id: uuid.UUID, state: State) -> None:
    """Make the order, which must be in `state`, look as if it entered that state longer ago than its limit."""
    asyncio.run(_overstay(database_url, order_id, state))


async def _overstay(database_url: str, order_id: uuid.UUID, state: State) -> None:
    engine = make_engine(database_url, pool_size=1)
    try:
        async with transactional(engine, CrmUnitOfWork)() as tx:
            order = await tx.orders.get(order_id, for_update=True)
            if order is None or order.state is not state:
                raise LookupError(f"order {order_id} is {order.state.value if order else 'missing'}, not {state.value}")
            order.state_since -= STUCK_AFTER[state] + MARGIN
            await tx.orders.save(order)
    finally:
        await engine.dispose()
