"""Alert rules and routing: promtool's unit tests pass, cover every alert, and catch a broken rule; amtool agrees."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from system.deploy.metrics import exposed_metrics
from system.deploy.promql import metric_names
from system.stack.monitoring import ALERTMANAGER_CONFIG, RULES_DIR

TESTS_DIR = RULES_DIR.parent / "tests"
RULE_FILES = sorted(RULES_DIR.glob("*.yml"))
TEST_FILES = sorted(TESTS_DIR.glob("*.test.yml"))


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is not installed: scripts/setup.sh installs Debian's prometheus and alertmanager"
    return path


def _run(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=cwd, check=False)


def _alerts() -> list[dict[str, object]]:
    rules = []
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            rules += [r for r in group["rules"] if "alert" in r]
    return rules


def test_the_rules_are_valid_promql() -> None:
    result = _run(_tool("promtool"), "check", "rules", *map(str, RULE_FILES))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("test_file", TEST_FILES, ids=lambda p: p.name)
def test_promtool_unit_tests_pass(test_file: Path) -> None:
    result = _run(_tool("promtool"), "test", "rules", str(test_file))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_promtool_test_that_expects_it_to_fire() -> None:
    fired: set[str] = set()
    for path in TEST_FILES:
        for case in yaml.safe_load(path.read_text())["tests"]:
            fired |= {t["alertname"] for t in case.get("alert_rule_test", []) if t.get("exp_alerts")}
    assert {str(a["alert"]) for a in _alerts()} - fired == set()


def test_every_alert_says_how_urgent_it_is_what_it_is_about_and_what_to_do() -> None:
    for alert in _alerts():
        labels, notes = alert["labels"], alert["annotations"]
        assert isinstance(labels, dict) and isinstance(notes, dict)
        assert labels.get("severity") in {"page", "ticket"}, alert["alert"]
        assert labels.get("component"), alert["alert"]
        assert notes.get("summary") and notes.get("description"), alert["alert"]


def test_the_rules_read_only_metrics_the_stack_exposes() -> None:
    exposed = exposed_metrics()
    unknown = {str(a["alert"]): metric_names(str(a["expr"])) - exposed for a in _alerts()}
    assert {name: names for name, names in unknown.items() if names} == {}


def test_a_rule_reading_a_misspelt_metric_is_caught() -> None:
    assert metric_names("max by (job) (outbox_oldest_pending_second) > 60") - exposed_metrics() == {
        "outbox_oldest_pending_second"
    }


# Each mutation is a plausible slip in one rule; the promtool tests must notice every one.
MUTATIONS = [
    ("broker.yml", "== 1) or vector(0))", "== 1))"),  # quorum lost with every node down would go unnoticed
    ("broker.yml", 'queue=~".+\\\\.dlq"}) > 0', 'queue=~".+\\\\.dlq"}) > 1'),  # one dead letter ignored
    ("broker.yml", "max by (queue) (rabbitmq_detailed_queue_consumers", "min by (queue) (rabbitmq_detailed_queue_c"),
    ("services.yml", "(outbox_oldest_pending_seconds) > 60", "(outbox_oldest_pending_seconds) > 600"),
    ("services.yml", "max by (state) (crm_orders_stuck)", "sum by (state) (crm_orders_stuck)"),  # counted twice
    ("services.yml", "> 0.05", "> 0.5"),  # pricing SLA
    ("services.yml", '{status=~"5.."}', '{status=~"500"}'),  # outages' 503s not counted as errors
    ("services.yml", "for: 10m", "for: 30m"),  # latency alert too slow to fire
]


@pytest.mark.parametrize(("file", "old", "new"), MUTATIONS, ids=[m[2] for m in MUTATIONS])
def test_a_broken_rule_fails_its_promtool_test(tmp_path: Path, file: str, old: str, new: str) -> None:
    shutil.copytree(RULES_DIR.parent, tmp_path / "prometheus")
    rules = tmp_path / "prometheus" / "rules" / file
    text = rules.read_text()
    assert old in text, f"the mutation no longer applies to {file}: {old!r}"
    rules.write_text(text.replace(old, new, 1))
    result = _run(_tool("promtool"), "test", "rules", *map(str, (tmp_path / "prometheus" / "tests").glob("*.yml")))
    assert result.returncode != 0, f"promtool tests did not notice {old!r} -> {new!r}"
    assert "FAILED" in result.stdout + result.stderr


def test_alertmanager_config_is_valid() -> None:
    result = _run(_tool("amtool"), "check-config", str(ALERTMANAGER_CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 inhibit rules" in result.stdout


@pytest.mark.parametrize("alert", _alerts(), ids=lambda a: str(a["alert"]))
def test_each_alert_is_routed_by_its_severity(alert: dict[str, object]) -> None:
    labels = alert["labels"]
    assert isinstance(labels, dict)
    result = _run(
        _tool("amtool"), "config", "routes", "test", f"--config.file={ALERTMANAGER_CONFIG}",
        f"alertname={alert['alert']}", *(f"{k}={v}" for k, v in labels.items()),
    )  # fmt: skip
    expected = {"page": "pager", "ticket": "tickets"}[str(labels["severity"])]
    assert result.stdout.split() == [expected], result.stdout + result.stderr


def test_inhibition_names_only_alerts_and_components_that_exist() -> None:
    config = yaml.safe_load(ALERTMANAGER_CONFIG.read_text())
    names = {str(a["alert"]) for a in _alerts()}
    components = {str(a["labels"]["component"]) for a in _alerts()}  # type: ignore[index]
    for rule in config["inhibit_rules"]:
        for matcher in rule["source_matchers"] + rule["target_matchers"]:
            key, value = re.fullmatch(r'(\w+)=~?"(.*)"', matcher).groups()  # type: ignore[union-attr]
            known = names if key == "alertname" else components
            assert set(value.split("|")) <= known, matcher
