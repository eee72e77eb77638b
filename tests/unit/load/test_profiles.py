"""Which load profile a gate runs, and the profile definitions themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from load.profiles import GATE_PROFILES, PROFILES, ProfileError, select
from load.report import Artifacts
from load.suite import locust_command
from system.kernel.head_sampling import PRODUCTION_TRACE_RATIO


@pytest.mark.parametrize(("gate", "expected"), [("pr", "smoke"), ("release", "release"), ("nightly", "soak")])
def test_each_gate_profile_runs_its_load_profile(gate: str, expected: str) -> None:
    assert select(gate).name == expected


def test_a_run_outside_a_gate_profile_is_a_smoke_run() -> None:
    assert select(None).name == "smoke"
    assert select("run").name == "smoke"  # `qa run load` passes QA_PROFILE=run


def test_an_override_wins_over_the_gate_profile() -> None:
    assert select("release", "step").name == "step"
    assert select("pr", "soak").name == "soak"


def test_an_unknown_override_names_the_known_profiles() -> None:
    with pytest.raises(ProfileError, match="smoke, release, soak, step"):
        select("release", "stress")


def test_every_gate_profile_maps_to_a_defined_profile_and_only_step_is_stepped() -> None:
    assert set(GATE_PROFILES.values()) <= set(PROFILES)
    assert [p.name for p in PROFILES.values() if p.stepped] == ["step"]
    steps = [s.users for s in PROFILES["step"].steps]
    assert steps == sorted(steps) and len(set(steps)) == len(steps)  # a staircase: strictly rising


def test_release_and_soak_are_judged_by_the_gate_policy_and_smoke_by_its_own_limits() -> None:
    assert PROFILES["release"].policy == "release" and PROFILES["soak"].policy == "nightly"
    assert PROFILES["smoke"].policy is None
    assert {t.metric for t in PROFILES["smoke"].thresholds} == {"load.error_rate", "load.quoted_orders"}


def test_gate_loads_trace_what_a_production_edge_samples_and_smoke_traces_everything() -> None:
    assert {p.name: p.trace_ratio for p in PROFILES.values()} == {
        "smoke": 1.0,
        "release": PRODUCTION_TRACE_RATIO,
        "soak": PRODUCTION_TRACE_RATIO,
        "step": PRODUCTION_TRACE_RATIO,
    }


def test_the_locust_command_carries_the_profiles_trace_ratio_unless_overridden(tmp_path: Path) -> None:
    files = Artifacts(tmp_path / "load")
    urls = ("http://crm", "http://files", "http://mes")

    def ratio(cmd: list[str]) -> str:
        return cmd[cmd.index("--trace-ratio") + 1]

    assert ratio(locust_command(PROFILES["release"], files, urls, "[]")) == str(PRODUCTION_TRACE_RATIO)
    assert ratio(locust_command(PROFILES["release"], files, urls, "[]", trace_ratio=1.0)) == "1.0"
    assert ratio(locust_command(PROFILES["smoke"], files, urls, "[]")) == "1.0"


def test_the_locust_command_carries_the_profiles_seed_unless_overridden(tmp_path: Path) -> None:
    files = Artifacts(tmp_path / "load")
    urls = ("http://crm", "http://files", "http://mes")

    def seed(cmd: list[str]) -> str:
        return cmd[cmd.index("--seed") + 1]

    assert seed(locust_command(PROFILES["release"], files, urls, "[]")) == str(PROFILES["release"].seed)
    assert seed(locust_command(PROFILES["release"], files, urls, "[]", seed=42)) == "42"
