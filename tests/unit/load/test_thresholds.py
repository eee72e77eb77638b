"""The limits a load run is judged by, and the verdicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from load import thresholds
from load.profiles import PROFILES
from pipelines.paths import DEFAULT_POLICY
from pipelines.policy import Threshold

POLICY = """
[profiles.release]
suites = ["unit"]
[[profiles.release.thresholds]]
metric = "load.p95_ms"
max = 700.0
[[profiles.release.thresholds]]
metric = "chaos.lost_messages"
max = 0
[[profiles.release.thresholds]]
metric = "load.orders_per_s"
min = 2.5
"""


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    path = tmp_path / "gates.toml"
    path.write_text(POLICY)
    return path


def test_parse_reads_both_directions() -> None:
    assert thresholds.parse("load.p95_ms<=800") == Threshold("load.p95_ms", 800.0, "max")
    assert thresholds.parse(" load.orders_per_s >= 2.5 ") == Threshold("load.orders_per_s", 2.5, "min")


@pytest.mark.parametrize("text", ["load.p95_ms<800", "p95 <= x", "<=1", ""])
def test_parse_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError, match="expected METRIC<=VALUE"):
        thresholds.parse(text)


def test_release_takes_only_the_load_thresholds_of_its_gate_profile(policy: Path) -> None:
    limits = thresholds.for_profile(PROFILES["release"], policy)
    assert [(t.metric, t.op, t.limit) for t in limits] == [
        ("load.p95_ms", "max", 700.0),
        ("load.orders_per_s", "min", 2.5),
    ]


def test_smoke_uses_its_own_limits_whatever_the_policy_says(policy: Path) -> None:
    assert thresholds.for_profile(PROFILES["smoke"], policy) == list(PROFILES["smoke"].thresholds)


def test_a_policy_without_the_gate_profile_falls_back_to_the_profile_limits(tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text('[profiles.pr]\nsuites = ["unit"]\n')
    assert thresholds.for_profile(PROFILES["soak"], other) == list(PROFILES["soak"].thresholds)


def test_an_extra_limit_replaces_the_one_on_the_same_metric(policy: Path) -> None:
    extra = thresholds.parse("load.p95_ms<=0.001")
    limits = thresholds.for_profile(PROFILES["release"], policy, [extra])
    assert [t.metric for t in limits] == ["load.orders_per_s", "load.p95_ms"]
    assert limits[-1] == extra


def test_the_real_policy_gives_release_and_nightly_load_thresholds_with_the_gate_names() -> None:
    for name in ("release", "soak"):
        metrics = {t.metric for t in thresholds.for_profile(PROFILES[name], DEFAULT_POLICY)}
        assert {"load.p95_ms", "load.error_rate"} <= metrics
        assert all(m.startswith("load.") for m in metrics)


def test_verdicts_hold_fail_and_fail_a_figure_nobody_measured() -> None:
    limits = [
        Threshold("load.p95_ms", 800, "max"),
        Threshold("load.orders_per_s", 2, "min"),
        Threshold("load.x", 1, "max"),
    ]
    verdicts = thresholds.evaluate({"load.p95_ms": 800.0, "load.orders_per_s": 1.9}, limits)
    assert [v.passed for v in verdicts] == [True, False, False]
    assert verdicts[2].measured is None and "not measured" in verdicts[2].text
    assert "FAILED" in verdicts[1].text and "≥ 2" in verdicts[1].text


def test_limits_survive_the_trip_to_the_locust_process() -> None:
    limits = [Threshold("load.p95_ms", 800, "max", "p95 of the mix"), Threshold("load.orders_per_s", 2, "min")]
    assert thresholds.loads(thresholds.dumps(limits)) == limits
