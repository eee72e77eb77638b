"""Which limits judge a load run (the gate policy's `load.*` thresholds, or the profile's own) and the verdicts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from load.profiles import LoadProfile
from pipelines.policy import PolicyError, Threshold, load_policy

_LIMIT = re.compile(r"^\s*([\w.]+)\s*(<=|>=)\s*([-+0-9.eE]+)\s*$")


@dataclass(frozen=True)
class Verdict:
    """One threshold against the figure the run measured (a figure nobody measured fails, as in the gate)."""

    threshold: Threshold
    measured: float | None

    @property
    def passed(self) -> bool:
        return self.measured is not None and self.threshold.holds(self.measured)

    @property
    def text(self) -> str:
        got = "not measured" if self.measured is None else f"{self.measured:g}"
        return f"{self.threshold.metric} = {got}, required {self.threshold.text}: {'ok' if self.passed else 'FAILED'}"


def parse(text: str) -> Threshold:
    """`load.p95_ms<=800` or `load.orders_per_s>=2` as a threshold (for --threshold)."""
    match = _LIMIT.match(text)
    if not match:
        raise ValueError(f"threshold {text!r}: expected METRIC<=VALUE or METRIC>=VALUE")
    metric, op, value = match.groups()
    return Threshold(metric, float(value), "max" if op == "<=" else "min")


def for_profile(profile: LoadProfile, policy_file: Path, extra: Iterable[Threshold] = ()) -> list[Threshold]:
    """The limits of a run: its gate profile's `load.*` thresholds from the policy (else the profile's own),
    then `extra` (an extra limit on a metric replaces the one before it)."""
    limits = list(profile.thresholds)
    if profile.policy:
        try:
            gate = load_policy(policy_file).profile(profile.policy)
        except PolicyError:
            gate = None  # a policy without that profile (sample policies in tests): the profile's own limits
        if gate is not None:
            limits = [t for t in gate.thresholds if t.metric.startswith("load.")]
    replaced = {t.metric for t in extra}
    return [t for t in limits if t.metric not in replaced] + list(extra)


def evaluate(figures: Mapping[str, float], limits: Iterable[Threshold]) -> list[Verdict]:
    """Each limit against the measured figures."""
    return [Verdict(t, figures.get(t.metric)) for t in limits]


def dumps(limits: Iterable[Threshold]) -> str:
    """Limits as JSON, to hand them to the Locust process."""
    return json.dumps(
        [{"metric": t.metric, "limit": t.limit, "op": t.op, "description": t.description} for t in limits]
    )


def loads(text: str) -> list[Threshold]:
    """The limits `dumps` wrote."""
    return [
        Threshold(str(t["metric"]), float(t["limit"]), str(t["op"]), str(t["description"])) for t in json.loads(text)
    ]
