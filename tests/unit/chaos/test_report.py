"""The chaos suite's pure parts: profile selection, the figures it reports, the timeline picture."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from chaos import report, suite
from chaos.checker import Finding, Verdict
from chaos.experiments import EXPERIMENTS
from chaos.plot import timeline_svg
from chaos.runner import Outcome
from chaos.workload import Call, History


def outcome(findings: list[Finding], recovery: float | None = 1.5, dlq: int = 0) -> Outcome:
    history = History(calls=[Call("o1", "place", 0.0, 0.1, 201), Call("o1", "get", 0.2, 0.3, "ConnectError")])
    history.acknowledged, history.acked_at, history.settled_at = {"o1": "deliver"}, {"o1": 1.0}, {"o1": 9.0}
    return Outcome(
        EXPERIMENTS["postgres-kill"],
        Verdict(1, findings),
        history,
        (2.0, 5.0),
        0.0,
        dlq,
        recovery,
        4.0,
        ["rabbit1 down"],
    )


def test_the_totals_the_gate_reads_add_up_every_experiment() -> None:
    clean, broken = outcome([]), outcome([Finding("o1", "lost", "gone"), Finding("o2", "duplicated", "twice")])
    values = report.metrics([clean, broken])
    assert (values["chaos.lost_messages"], values["chaos.duplicate_effects"], values["chaos.stuck_orders"]) == (1, 1, 0)
    assert values["chaos.postgres-kill.retries"] == 1.0 and values["chaos.recovery_s"] == 1.5


@pytest.mark.parametrize(
    ("findings", "recovery", "dlq", "passed"),
    [([], 1.5, 0, True), ([Finding("o", "stuck", "x")], 1.5, 0, False), ([], 31.0, 0, False), ([], None, 0, False),
     ([], 1.5, 2, False)],
)  # fmt: skip
def test_an_experiment_passes_only_with_nothing_found_nothing_dead_lettered_and_recovery_in_time(
    findings: list[Finding], recovery: float | None, dlq: int, passed: bool
) -> None:
    assert outcome(findings, recovery, dlq).passed is passed


def test_profiles_choose_experiments_and_the_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    names, plan = suite.selected("pr")
    assert names == ["broker-kill-leader"] and plan.orders < 300
    assert suite.selected("release")[0] == list(EXPERIMENTS) and suite.selected("release")[1].orders >= 300
    monkeypatch.setenv("CHAOS_EXPERIMENTS", "postgres-kill, crm-kill")
    monkeypatch.setenv("CHAOS_ORDERS", "12")
    names, plan = suite.selected("release")
    assert names == ["postgres-kill", "crm-kill"] and plan.orders == 12
    monkeypatch.setenv("CHAOS_EXPERIMENTS", "meteor-strike")
    with pytest.raises(SystemExit, match="unknown experiment"):
        suite.selected("release")


def test_the_timeline_is_valid_svg_with_the_fault_window_and_both_series() -> None:
    svg = timeline_svg("broker <kill>", [0.5, 1.2, 1.4, 7.0], [3.0, 8.5], (2.0, 5.0))
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.find(f"{ns}title").text == "broker <kill>"  # type: ignore[union-attr]
    [fault] = [r for r in root.iter(f"{ns}rect") if r.find(f"{ns}title") is not None]
    assert float(fault.attrib["width"]) > 0
    lines = list(root.iter(f"{ns}polyline"))
    assert len(lines) == 2 and all(len(p.attrib["points"].split()) == 9 for p in lines)  # one point a second
