"""The load profiles (smoke, release, soak, step), the SLO the step search holds, and which profile a gate runs."""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.policy import Threshold
from system.kernel.head_sampling import PRODUCTION_TRACE_RATIO


@dataclass(frozen=True)
class Step:
    """One stair of the step profile: this many users for this many seconds."""

    users: int
    seconds: float


@dataclass(frozen=True)
class Slo:
    """What "sustained" means for the step search: every limit holds over a step's window."""

    p95_ms: float  # all API requests of the mix
    quote_p95_ms: float  # placed -> quoted, from the orders' timelines
    error_rate: float


@dataclass(frozen=True)
class LoadProfile:
    """A named load: fixed users for a run time, or a staircase of steps (load/step_shape.py)."""

    name: str
    description: str
    users: int
    spawn_rate: float
    run_time_s: int
    steps: tuple[Step, ...] = ()
    # The gates.toml profile whose `load.*` thresholds judge this run; without one, `thresholds` below do.
    policy: str | None = None
    thresholds: tuple[Threshold, ...] = ()
    # Share of requests the services trace: what a production edge samples (ADR 009). Tracing every request
    # costs this 2-core stack about a third of its latency headroom (README "Load"), which no production
    # deployment pays at peak; the smoke run traces everything, so a broken trace path shows there.
    trace_ratio: float = PRODUCTION_TRACE_RATIO
    # Every draw of the mix (part sizes and materials, quantities, think times, decisions) comes from this seed,
    # so two runs of a profile ask the system for the same work: with real slicing a run that happened to draw
    # more large SLA parts than another measured the draw, not the release (README "Load"). LOAD_SEED overrides.
    seed: int = 1

    @property
    def stepped(self) -> bool:
        return bool(self.steps)


# An order still pricing this long after it was placed counts as a failed placed -> quoted sample. When the run
# time is up, users finish the order they are following for up to this long (Locust's stop timeout): otherwise
# the slowest quotes of every run, those still pricing at the end, would silently drop out of the percentiles.
QUOTE_WITHIN_S = 120.0

# Measured on the local stack (2 CPUs, one replica per API, two pricing workers): see README "Load". A quote is
# real slicing (1-2 s for an FDM cube, 10-40 s for an SLA one under load), so placed -> quoted is in tens of
# seconds: 95 % of quotes within 90 s is the promise (a progress bar shows the rest of the wait).
SLO = Slo(p95_ms=500.0, quote_p95_ms=90_000.0, error_rate=0.01)

# The smoke run proves the suite and the system work end to end; it asserts no latency (shared CI machines).
_SMOKE_LIMITS = (
    Threshold("load.error_rate", 0.0, "max", "no request may fail"),
    Threshold("load.quoted_orders", 1.0, "min", "orders reached quoted within the run"),
)

PROFILES: dict[str, LoadProfile] = {
    p.name: p
    for p in [
        LoadProfile(
            "smoke",
            "a few users for 30 s: every flow once or more (pr, make test)",
            9,
            9,
            30,
            thresholds=_SMOKE_LIMITS,
            trace_ratio=1.0,
        ),
        LoadProfile("release", "the release load: 15 users for 4 minutes", 15, 3, 240, policy="release"),
        LoadProfile(
            "soak", "nightly: 12 users for 30 minutes (leaks, slow growth, stuck orders)", 12, 2, 1800, policy="nightly"
        ),
        LoadProfile(
            "step",
            "users raised in steps of 60 s until the SLO breaks: max sustained orders/s at the SLO",
            users=0,
            spawn_rate=6,
            run_time_s=0,
            steps=tuple(Step(users, 60) for users in (3, 6, 9, 12, 15, 18, 24, 30, 36, 45, 60)),
            thresholds=(Threshold("load.max_sustained_orders_per_s", 0.01, "min", "some step held the SLO"),),
        ),
    ]
}

# Which load profile each gate profile runs.
GATE_PROFILES = {"pr": "smoke", "release": "release", "nightly": "soak"}


class ProfileError(ValueError):
    """No load profile by that name."""


def select(gate_profile: str | None, override: str | None = None) -> LoadProfile:
    """The profile to run: the override (LOAD_PROFILE or --profile) if given, else the gate profile's, else smoke."""
    name = override or GATE_PROFILES.get(gate_profile or "", "smoke")
    if name not in PROFILES:
        raise ProfileError(f"no load profile {name!r}; profiles: {', '.join(PROFILES)}")
    return PROFILES[name]
