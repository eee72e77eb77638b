"""The Prometheus configuration the stack writes: valid for promtool, every replica and node a labelled target."""

from __future__ import annotations

import glob
import shutil
import subprocess
from pathlib import Path

import yaml

from system.stack.monitoring import RULES_DIR, Prometheus
from system.stack.services import SERVICES
from system.stack.settings import StackSettings


def _config(tmp_path: Path, replicas: dict[str, int]) -> dict[str, object]:
    settings = StackSettings(state_dir=tmp_path / "stack")
    return dict(yaml.safe_load(Prometheus(settings, SERVICES, replicas).render()))


def _targets(config: dict[str, object], job: str) -> dict[str, dict[str, str]]:
    [scrape] = [j for j in config["scrape_configs"] if j["job_name"] == job]  # type: ignore[attr-defined]
    return {t: group.get("labels", {}) for group in scrape["static_configs"] for t in group["targets"]}


def test_every_replica_is_a_target_labelled_with_its_name(tmp_path: Path) -> None:
    config = _config(tmp_path, {"crm": 3, "pricing": 4})
    crm = _targets(config, "crm")
    assert sorted(labels["replica"] for labels in crm.values()) == ["crm-1", "crm-2", "crm-3"]
    assert len(set(crm)) == 3, "each replica on its own port"
    assert len(_targets(config, "pricing")) == 4
    assert [labels["replica"] for labels in _targets(config, "shop").values()] == ["shop-1"]


def test_each_broker_node_is_scraped_for_itself_and_for_its_queues(tmp_path: Path) -> None:
    config = _config(tmp_path, {})
    nodes = _targets(config, "rabbitmq")
    assert sorted(labels["node"] for labels in nodes.values()) == ["rabbit1", "rabbit2", "rabbit3"]
    assert _targets(config, "rabbitmq-queues") == nodes
    [queues] = [j for j in config["scrape_configs"] if j["job_name"] == "rabbitmq-queues"]  # type: ignore[attr-defined]
    assert queues["metrics_path"] == "/metrics/detailed"
    assert set(queues["params"]["family"]) == {"queue_coarse_metrics", "queue_consumer_count"}


def test_the_rules_are_loaded_and_promtool_accepts_the_config(tmp_path: Path) -> None:
    settings = StackSettings(state_dir=tmp_path / "stack")
    path = tmp_path / "prometheus.yml"
    path.write_text(Prometheus(settings, SERVICES, {}).render())
    [pattern] = yaml.safe_load(path.read_text())["rule_files"]
    assert sorted(glob.glob(pattern)) == sorted(map(str, RULES_DIR.glob("*.yml")))
    promtool = shutil.which("promtool")
    assert promtool, "scripts/setup.sh installs Debian's prometheus (promtool)"
    checked = subprocess.run([promtool, "check", "config", str(path)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(list(RULES_DIR.glob('*.yml')))} rule files found" in checked.stdout
