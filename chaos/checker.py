"""The history checker (Jepsen's total-queue idea applied to orders): what every acknowledged order became.

Pure: it reads the workload's history and both services' final views of each order, and counts
- lost: acknowledged with a 2xx, yet unknown to the CRM, or never heard of by MES;
- duplicated: an effect that happened twice (a second quote, production job, shipment or delivery, more pricing
  jobs than lines);
- stuck: known to both, but not in a final state its script allows once the run has settled;
- disagreeing: CRM and MES views of the order that contradict each other (system/agreement.py, settled).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from system.agreement import ABSENT, disagreement

# The final CRM states each workload script may end in (a cancellation of a confirmed order may be refused).
FINAL_STATES: dict[str, frozenset[str]] = {
    "cancel-quoted": frozenset({"cancelled"}),
    "cancel-confirmed": frozenset({"cancelled", "delivered"}),
    "deliver": frozenset({"delivered"}),
    "reprint": frozenset({"delivered"}),
}
# Timeline states an order enters at most once ("confirmed" comes back after a refused cancellation).
ONCE = ("quoted", "shipped", "delivered", "cancelled")


@dataclass(frozen=True)
class Observed:
    """Both services' views of one order after the run."""

    crm_state: str | None  # None: the CRM does not know the order
    timeline: tuple[str, ...] = ()
    mes_state: str = ABSENT
    lines: int = 0
    production_jobs: int = 0
    pricing_jobs: int = 0


@dataclass(frozen=True)
class Finding:
    order_id: str
    kind: str  # lost | duplicated | stuck | disagreeing
    detail: str


@dataclass
class Verdict:
    """What the checker found, per kind, with one line of detail per finding."""

    orders: int
    findings: list[Finding] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for f in self.findings if f.kind == kind)

    @property
    def ok(self) -> bool:
        return not self.findings

    def summary(self) -> dict[str, int]:
        return {"orders": self.orders, **{k: self.count(k) for k in ("lost", "duplicated", "stuck", "disagreeing")}}


def check(acknowledged: dict[str, str], observed: dict[str, Observed]) -> Verdict:
    """Check every acknowledged order (id -> its script) against what the services hold."""
    verdict = Verdict(orders=len(acknowledged))
    for order_id, script in sorted(acknowledged.items()):
        verdict.findings += _check_one(order_id, script, observed.get(order_id, Observed(None)))
    return verdict


def _check_one(order_id: str, script: str, seen: Observed) -> list[Finding]:
    if seen.crm_state is None:
        return [Finding(order_id, "lost", "acknowledged, but the CRM does not know it")]
    if seen.mes_state == ABSENT:
        return [Finding(order_id, "lost", f"the CRM holds it ({seen.crm_state}), MES never heard of it")]
    found = [Finding(order_id, "duplicated", d) for d in _duplicates(seen)]
    if seen.crm_state not in FINAL_STATES[script]:
        found.append(Finding(order_id, "stuck", f"{script}: still {seen.crm_state} (MES: {seen.mes_state})"))
    elif (reason := disagreement(seen.crm_state, seen.mes_state, settled=True)) is not None:
        found.append(Finding(order_id, "disagreeing", reason))
    return found


def _duplicates(seen: Observed) -> list[str]:
    # Entering a state, not every entry: a note (e.g. a refusal recorded after production moved on) repeats the
    # current state without entering it again.
    entered = Counter(s for n, s in enumerate(seen.timeline) if n == 0 or seen.timeline[n - 1] != s)
    found = [f"entered {state} {entered[state]} times" for state in ONCE if entered[state] > 1]
    if seen.production_jobs > 1:
        found.append(f"{seen.production_jobs} production jobs")
    if seen.pricing_jobs > seen.lines:
        found.append(f"{seen.pricing_jobs} pricing jobs for {seen.lines} line(s)")
    return found
