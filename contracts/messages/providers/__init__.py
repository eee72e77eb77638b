"""Provider verification of the message pacts: each message built by the producer's real code path."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from system.kernel.messaging.envelope import Envelope

# Builds one message through the producer's real use case, as the outbox would store it.
Producer = Callable[[], Coroutine[Any, Any, Envelope]]
