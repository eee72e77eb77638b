"""Gate policy: profiles loaded from gates.toml, and the pure evaluation of one run's facts into GO or NO-GO."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.results import Outcome, SuiteSummary
from pipelines.suites import BUILTIN, Suite, SuiteError, suite_from_table


class PolicyError(ValueError):
    """The policy file cannot be used: the gate cannot run (exit 2)."""


@dataclass(frozen=True)
class Threshold:
    """A measured figure (from metrics.json) that must stay at or below `max`, or at or above `min`."""

    metric: str
    limit: float
    op: str  # "max" or "min"
    description: str = ""

    def holds(self, value: float) -> bool:
        return value <= self.limit if self.op == "max" else value >= self.limit

    @property
    def text(self) -> str:
        return f"{'≤' if self.op == 'max' else '≥'} {self.limit:g}"


@dataclass(frozen=True)
class Profile:
    """One gate profile: which suites must pass, and the rules their results must meet."""

    name: str
    suites: tuple[str, ...]
    description: str = ""
    pass_rate: float = 100.0
    pass_rates: Mapping[str, float] = field(default_factory=dict)
    no_new_failures: bool = True
    coverage_floor: float | None = None
    max_flaky: int = 0
    reruns: int = 1
    thresholds: tuple[Threshold, ...] = ()


@dataclass(frozen=True)
class Policy:
    """Every profile of a policy file, and the suite registry it sees (built-in suites plus its own [suites])."""

    path: Path
    profiles: Mapping[str, Profile]
    registry: Mapping[str, Suite]

    def profile(self, name: str) -> Profile:
        if name not in self.profiles:
            raise PolicyError(f"no profile {name!r} in {self.path}; profiles: {', '.join(self.profiles)}")
        return self.profiles[name]


def _threshold(profile: str, table: Mapping[str, Any]) -> Threshold:
    ops = [op for op in ("max", "min") if op in table]
    if "metric" not in table or len(ops) != 1:
        raise PolicyError(f"profile {profile}: each threshold needs `metric` and exactly one of `max`/`min`")
    return Threshold(str(table["metric"]), float(table[ops[0]]), ops[0], str(table.get("description", "")))


def _profile(name: str, table: Mapping[str, Any], registry: Mapping[str, Suite]) -> Profile:
    suites = tuple(str(s) for s in table.get("suites", []))
    if not suites:
        raise PolicyError(f"profile {name}: `suites` must list at least one suite")
    unknown = [s for s in suites if s not in registry]
    if unknown:
        raise PolicyError(f"profile {name}: unknown suite(s) {', '.join(unknown)}")
    floor = table.get("coverage_floor")
    return Profile(
        name=name,
        suites=suites,
        description=str(table.get("description", "")),
        pass_rate=float(table.get("pass_rate", 100.0)),
        pass_rates={str(k): float(v) for k, v in table.get("pass_rates", {}).items()},
        no_new_failures=bool(table.get("no_new_failures", True)),
        coverage_floor=None if floor is None else float(floor),
        max_flaky=int(table.get("max_flaky", 0)),
        reruns=int(table.get("reruns", 1)),
        thresholds=tuple(_threshold(name, t) for t in table.get("thresholds", [])),
    )


def load_policy(path: Path) -> Policy:
    """Parse and check a policy file; PolicyError says what is wrong."""
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"cannot read policy {path}: {exc}") from exc
    try:
        extra = {n: suite_from_table(n, t, path.parent) for n, t in data.get("suites", {}).items()}
        registry = {**BUILTIN, **extra}
        profiles = {n: _profile(n, t, registry) for n, t in data.get("profiles", {}).items()}
    except (SuiteError, TypeError, ValueError) as exc:
        raise PolicyError(f"{path}: {exc}") from exc
    if not profiles:
        raise PolicyError(f"{path}: no [profiles.*] table")
    return Policy(path, profiles, registry)


@dataclass(frozen=True)
class SuiteFacts:
    """What running one suite gave: whether it exists, how its process ended, its counts."""

    built: bool
    exit_code: int | None
    summary: SuiteSummary
    seconds: float = 0.0


@dataclass(frozen=True)
class Facts:
    """Everything one run measured, as the rules need it."""

    suites: Mapping[str, SuiteFacts]
    outcomes: Sequence[Outcome] = ()
    coverage: float | None = None
    metrics: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Baseline:
    """The previous run of the same profile: which tests were failing then."""

    run_id: str
    failing: frozenset[str]


def outcome_key(outcome: Outcome) -> str:
    """A test's identity across runs."""
    return f"{outcome.suite}::{outcome.test_id}"


# What a rule checks: the report groups its rules by these.
SUITE, NEW_FAILURES, COVERAGE, FLAKY, THRESHOLD = "suite", "no new failures", "coverage", "flaky", "threshold"


@dataclass(frozen=True)
class Rule:
    """One rule's evaluation: what was measured, what was required, whether it held."""

    name: str
    measured: str
    threshold: str
    passed: bool
    detail: str = ""
    kind: str = THRESHOLD
    unmeasured: bool = False  # nothing to measure (a suite that did not run or ran no test, a figure nobody reported)

    @property
    def status(self) -> str:
        """Its Allure status: passed, failed, or broken when it could not be measured."""
        return "passed" if self.passed else "broken" if self.unmeasured else "failed"

    @property
    def reason(self) -> str:
        """What was measured against what was required, and why it matters."""
        return f"{self.measured} (required {self.threshold}){f' — {self.detail}' if self.detail else ''}"


@dataclass(frozen=True)
class Verdict:
    rules: tuple[Rule, ...]

    @property
    def go(self) -> bool:
        return all(r.passed for r in self.rules)

    @property
    def text(self) -> str:
        return "GO" if self.go else "NO-GO"

    @property
    def reasons(self) -> list[str]:
        """One line per failing rule, naming it."""
        return [f"{r.name}: {r.reason}" for r in self.rules if not r.passed]


def _suite_rule(name: str, facts: SuiteFacts | None, required: float) -> Rule:
    rule = f"suite {name}"
    need = f"pass rate ≥ {required:g}%"
    if facts is None:
        return Rule(rule, "did not run", need, False, kind=SUITE, unmeasured=True)
    if not facts.built:  # failed, not broken: what is missing is known, the release lacks this suite
        return Rule(rule, "not built yet", need, False, f"suite {name} is not built yet", kind=SUITE)
    s = facts.summary
    if facts.exit_code not in (0, 1):
        measured = f"did not complete (exit {facts.exit_code})"
        return Rule(rule, measured, need, False, "see the suite's log", kind=SUITE, unmeasured=True)
    if s.pass_rate is None:
        return Rule(rule, "no tests ran", need, False, kind=SUITE, unmeasured=True)
    measured = f"{s.pass_rate:.1f}% ({s.passed}/{s.executed})"
    if facts.exit_code != 0 and s.passed == s.executed:
        return Rule(rule, measured, need, False, f"exit {facts.exit_code} with no failing test recorded", kind=SUITE)
    return Rule(rule, measured, need, s.pass_rate >= required, kind=SUITE)


def evaluate(profile: Profile, facts: Facts, baseline: Baseline | None) -> Verdict:
    """Apply every rule of `profile` to `facts`; the verdict is GO only if all of them hold."""
    rules = [_suite_rule(n, facts.suites.get(n), profile.pass_rates.get(n, profile.pass_rate)) for n in profile.suites]
    failing = {outcome_key(o): o.name for o in facts.outcomes if o.failing}
    if profile.no_new_failures:
        if baseline is None:
            rules.append(Rule("no new failures", "no previous run", "0 new", True, kind=NEW_FAILURES))
        else:
            new = sorted(name for key, name in failing.items() if key not in baseline.failing)
            rules.append(
                Rule(
                    "no new failures",
                    f"{len(new)} new vs {baseline.run_id}",
                    "0 new",
                    not new,
                    ", ".join(new),
                    kind=NEW_FAILURES,
                )
            )
    if profile.coverage_floor is not None:
        floor = f"≥ {profile.coverage_floor:g}%"
        if facts.coverage is None:
            rules.append(Rule("coverage system/", "not measured", floor, False, kind=COVERAGE, unmeasured=True))
        else:
            held = facts.coverage >= profile.coverage_floor
            rules.append(Rule("coverage system/", f"{facts.coverage:.1f}%", floor, held, kind=COVERAGE))
    flaky = sorted(o.name for o in facts.outcomes if o.flaky)
    rules.append(
        Rule(
            "flaky tests",
            str(len(flaky)),
            f"≤ {profile.max_flaky}",
            len(flaky) <= profile.max_flaky,
            ", ".join(flaky),
            kind=FLAKY,
        )
    )
    for t in profile.thresholds:
        value = facts.metrics.get(t.metric)
        if value is None:
            rules.append(Rule(t.metric, "not measured", t.text, False, t.description, unmeasured=True))
        else:
            rules.append(Rule(t.metric, f"{value:g}", t.text, t.holds(value), t.description))
    return Verdict(tuple(rules))
