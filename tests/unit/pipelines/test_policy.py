"""Gate policy: gates.toml loads, and each rule, failing alone, turns GO into NO-GO naming that rule."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from pipelines.paths import DEFAULT_POLICY
from pipelines.policy import (
    Baseline,
    Facts,
    PolicyError,
    Profile,
    SuiteFacts,
    Threshold,
    evaluate,
    load_policy,
    outcome_key,
)
from pipelines.results import Outcome, SuiteSummary

PROFILE = Profile(
    name="test",
    suites=("unit", "load"),
    pass_rate=90.0,
    coverage_floor=60.0,
    max_flaky=1,
    thresholds=(Threshold("load.p95_ms", 500.0, "max"), Threshold("load.rps", 50.0, "min")),
)


def outcome(name: str, status: str = "passed", *, suite: str = "unit", flaky: bool = False) -> Outcome:
    return Outcome(suite, f"id-{name}", name, f"tests.{name}", status, 2 if flaky else 1, flaky, "")


def facts(outcomes: list[Outcome], *, coverage: float | None = 70.0, **metrics: float) -> Facts:
    unit = [o for o in outcomes if o.suite == "unit"]
    summary = SuiteSummary(
        passed=sum(o.status == "passed" for o in unit),
        failed=sum(o.status == "failed" for o in unit),
        flaky=sum(o.flaky for o in unit),
    )
    exit_code = 1 if summary.failed else 0
    return Facts(
        suites={
            "unit": SuiteFacts(True, exit_code, summary),
            "load": SuiteFacts(True, 0, SuiteSummary(passed=1)),
        },
        outcomes=outcomes,
        coverage=coverage,
        metrics={"load.p95_ms": 420.0, "load.rps": 80.0, **metrics},
    )


def healthy(extra: list[Outcome] | None = None) -> list[Outcome]:
    """19 passing tests, one of them flaky, and one old failure (also failing in the baseline): 95% pass."""
    tests = [outcome(f"t{i}") for i in range(18)] + [outcome("wobbly", flaky=True), outcome("old", "failed")]
    return tests + (extra or [])


# The previous run failed "old" and three more tests that this run may or may not fail again.
BASELINE = Baseline(
    "previous-run", frozenset(outcome_key(outcome(n, "failed")) for n in ("old", "old0", "old1", "old2"))
)


def failing_rules(verdict_facts: Facts, profile: Profile = PROFILE) -> list[str]:
    verdict = evaluate(profile, verdict_facts, BASELINE)
    return [r.name for r in verdict.rules if not r.passed]


def test_a_run_meeting_every_rule_is_go() -> None:
    verdict = evaluate(PROFILE, facts(healthy()), BASELINE)
    assert verdict.go and verdict.text == "GO"
    assert verdict.reasons == []
    names = [r.name for r in verdict.rules]
    assert names == [
        "suite unit",
        "suite load",
        "no new failures",
        "coverage system/",
        "flaky tests",
        "load.p95_ms",
        "load.rps",
    ]


@pytest.mark.parametrize(
    ("rule", "run", "profile"),
    [
        # Three more failures already known from the previous run: nothing new, but 16/20 = 80% < 90%.
        ("suite unit", facts(healthy()[3:] + [outcome(f"old{i}", "failed") for i in range(3)]), PROFILE),
        # One new failure among 40 tests keeps the pass rate, but it did not fail last time.
        (
            "no new failures",
            facts(healthy([outcome(f"x{i}") for i in range(20)] + [outcome("new", "failed")])),
            PROFILE,
        ),
        ("coverage system/", facts(healthy(), coverage=59.9), PROFILE),
        ("coverage system/", facts(healthy(), coverage=None), PROFILE),
        ("flaky tests", facts(healthy([outcome("wobbly2", flaky=True)])), PROFILE),
        ("load.p95_ms", facts(healthy(), **{"load.p95_ms": 500.1}), PROFILE),
        ("load.rps", facts(healthy(), **{"load.rps": 49.0}), PROFILE),
    ],
)
def test_each_rule_failing_alone_gives_no_go_naming_it(rule: str, run: Facts, profile: Profile) -> None:
    verdict = evaluate(profile, run, BASELINE)
    assert not verdict.go and verdict.text == "NO-GO"
    assert failing_rules(run, profile) == [rule]
    assert len(verdict.reasons) == 1 and verdict.reasons[0].startswith(f"{rule}: ")


def test_a_threshold_nobody_measured_fails_as_not_measured() -> None:
    run = dataclasses.replace(facts(healthy()), metrics={"load.rps": 80.0})
    verdict = evaluate(PROFILE, run, BASELINE)
    assert failing_rules(run) == ["load.p95_ms"]
    assert "not measured" in verdict.reasons[0]


def test_a_flaky_test_is_reported_as_flaky_by_name() -> None:
    rule = next(r for r in evaluate(PROFILE, facts(healthy()), BASELINE).rules if r.name == "flaky tests")
    assert rule.passed and rule.measured == "1" and rule.threshold == "≤ 1"
    assert rule.detail == "wobbly"


def test_a_required_suite_that_did_not_run_is_no_go() -> None:
    run = facts(healthy())
    run = dataclasses.replace(run, suites={"unit": run.suites["unit"]})
    verdict = evaluate(PROFILE, run, BASELINE)
    assert failing_rules(run) == ["suite load"]
    assert verdict.reasons[0].startswith("suite load: did not run")


def test_a_required_suite_not_built_yet_is_no_go_saying_so() -> None:
    run = facts(healthy())
    run = dataclasses.replace(run, suites={**run.suites, "load": SuiteFacts(False, None, SuiteSummary())})
    verdict = evaluate(PROFILE, run, BASELINE)
    assert failing_rules(run) == ["suite load"]
    assert "suite load is not built yet" in verdict.reasons[0]


@pytest.mark.parametrize(
    ("suite", "measured"),
    [
        (SuiteFacts(True, 2, SuiteSummary(passed=5)), "did not complete (exit 2)"),
        (SuiteFacts(True, 5, SuiteSummary()), "did not complete (exit 5)"),
        (SuiteFacts(True, 0, SuiteSummary(skipped=3)), "no tests ran"),
        (SuiteFacts(True, 1, SuiteSummary(passed=4)), "100.0% (4/4)"),  # exit 1 with no failure recorded
    ],
)
def test_a_suite_that_ran_badly_fails_its_rule(suite: SuiteFacts, measured: str) -> None:
    run = facts(healthy())
    run = dataclasses.replace(run, suites={**run.suites, "load": suite})
    rule = next(r for r in evaluate(PROFILE, run, BASELINE).rules if r.name == "suite load")
    assert not rule.passed and rule.measured == measured


def test_a_rule_that_could_not_be_measured_is_broken_and_one_that_was_measured_failed() -> None:
    run = facts(healthy(), coverage=None, **{"load.rps": 10.0})
    run = dataclasses.replace(
        run,
        suites={"unit": SuiteFacts(False, None, SuiteSummary())},  # not built yet; load did not run
        metrics={"load.rps": 10.0},  # nobody reported load.p95_ms
    )
    rules = evaluate(PROFILE, run, BASELINE).rules
    assert {r.name: (r.kind, r.status) for r in rules} == {
        "suite unit": ("suite", "failed"),  # not built yet is known: the release lacks it
        "suite load": ("suite", "broken"),
        "no new failures": ("no new failures", "passed"),
        "coverage system/": ("coverage", "broken"),
        "flaky tests": ("flaky", "passed"),
        "load.p95_ms": ("threshold", "broken"),
        "load.rps": ("threshold", "failed"),
    }
    assert next(r for r in rules if r.name == "load.rps").reason == "10 (required ≥ 50)"


def test_without_a_previous_run_no_failure_counts_as_new() -> None:
    rule = next(r for r in evaluate(PROFILE, facts(healthy()), None).rules if r.name == "no new failures")
    assert rule.passed and rule.measured == "no previous run"


def test_per_suite_pass_rate_overrides_the_profile_one() -> None:
    strict = dataclasses.replace(PROFILE, pass_rates={"unit": 100.0})
    assert failing_rules(facts(healthy()), strict) == ["suite unit"]


def test_the_shipped_policy_has_the_three_profiles_and_one_for_deployments() -> None:
    policy = load_policy(DEFAULT_POLICY)
    assert set(policy.profiles) == {"pr", "release", "nightly", "deployment"}
    # A deployment is judged by what can run against its URL alone (the gate's --target): the browser tests.
    assert policy.profile("deployment").suites == ("e2e",)
    assert policy.profile("pr").suites == ("unit", "integration", "contracts", "fuzz")
    release = policy.profile("release")
    assert set(release.suites) == {"unit", "integration", "contracts", "fuzz", "e2e", "load", "chaos"}
    assert release.pass_rate == 100.0 and release.coverage_floor is not None
    assert {"load.p95_ms", "load.error_rate", "chaos.lost_messages"} <= {t.metric for t in release.thresholds}
    assert all(p.reruns == 1 for p in policy.profiles.values())


def test_suites_declared_in_a_policy_resolve_relative_to_it(tmp_path: Path) -> None:
    (tmp_path / "policy.toml").write_text(
        '[suites.sample]\npaths = ["checks"]\n[profiles.p]\nsuites = ["sample", "unit"]\n'
    )
    policy = load_policy(tmp_path / "policy.toml")
    assert policy.registry["sample"].paths == (tmp_path / "checks",)
    assert "unit" in policy.registry  # the built-in suites stay known


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('[profiles.p]\nsuites = ["nosuch"]\n', "unknown suite(s) nosuch"),
        ("[profiles.p]\nsuites = []\n", "must list at least one suite"),
        ('[profiles.p]\nsuites = ["unit"]\n[[profiles.p.thresholds]]\nmetric = "m"\nmax = 1\nmin = 0\n', "exactly one"),
        ('[suites.s]\npaths = "x"\n[profiles.p]\nsuites = ["s"]\n', "non-empty list"),
        ('[suites.s]\npaths = ["x"]\ncolour = 1\n[profiles.p]\nsuites = ["s"]\n', "unknown keys"),
        ("profiles = [", "cannot read policy"),
        ("", "no [profiles.*] table"),
    ],
)
def test_an_unusable_policy_says_why(tmp_path: Path, text: str, error: str) -> None:
    (tmp_path / "policy.toml").write_text(text)
    with pytest.raises(PolicyError, match=re.escape(error)):
        load_policy(tmp_path / "policy.toml")


def test_an_unknown_profile_is_a_policy_error() -> None:
    with pytest.raises(PolicyError, match="no profile 'qa'"):
        load_policy(DEFAULT_POLICY).profile("qa")
