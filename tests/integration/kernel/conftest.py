from collections.abc import AsyncIterator

import pytest

from system.stack.stack import Stack
from tests.plugins.messaging_rig import Rig, metadata
from tests.plugins.stack import scratch_database


@pytest.fixture
async def rig(stack: Stack, unique: str) -> AsyncIterator[Rig]:
    """A fresh database (outbox, inbox, effects) and queue names for one messaging test."""
    async with scratch_database(stack, f"msg_{unique}", metadata) as engine:
        rig = Rig(engine=engine, url=stack.settings.amqp_url, name=unique)
        try:
            yield rig
        finally:
            await rig.close()
