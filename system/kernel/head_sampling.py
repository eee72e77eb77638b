"""Head sampling at the edge: whoever sends a request into the system decides whether its trace is recorded.

Services sample with `ParentBased` (system/kernel/telemetry.py): a request carrying a W3C `traceparent` whose
sampled flag is unset is recorded nowhere downstream, because every hop passes the decision on (HTTP calls,
outbox rows, messages, pricing jobs). So the edge (an ingress in production, the load and chaos generators here)
sets the share of traced requests without restarting or reconfiguring a service. See ADR 009.
"""

from __future__ import annotations

import random

TRACEPARENT = "traceparent"
# What a production edge leaves to be traced; the release load and chaos streams send production-like traffic.
PRODUCTION_TRACE_RATIO = 0.1


class HeadSampler:
    """Leaves a share `ratio` of requests to be traced; the others carry an unsampled `traceparent`."""

    def __init__(self, ratio: float = 1.0, rng: random.Random | None = None) -> None:
        if not 0.0 <= ratio <= 1.0:
            raise ValueError(f"a trace ratio is a share between 0 and 1, not {ratio}")
        self.ratio = ratio
        self.rng = rng or random.Random()

    def headers(self) -> dict[str, str]:
        """No header for a traced request (the service starts its trace), else an unsampled `traceparent`."""
        if self.ratio == 1.0 or self.rng.random() < self.ratio:
            return {}
        return {TRACEPARENT: unsampled_traceparent(self.rng)}


def unsampled_traceparent(rng: random.Random) -> str:
    """A W3C traceparent with fresh ids (never all zeros: that is invalid) and the sampled flag unset."""
    trace_id = rng.getrandbits(128) or 1
    span_id = rng.getrandbits(64) or 1
    return f"00-{trace_id:032x}-{span_id:016x}-00"
