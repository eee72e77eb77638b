"""Alertmanager's inhibition, on a real Alertmanager with our config, driven with amtool: a broker node down
silences the queue alerts of its cluster and not the dead letters; the quorum lost silences the node pages."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from system.stack.monitoring import ALERTMANAGER_CONFIG, Alertmanager
from system.stack.process import wait_until
from system.stack.settings import StackSettings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def private_alertmanager(config: Path, home: Path) -> Iterator[Callable[..., str]]:
    """amtool bound to a private Alertmanager running `config` (state under `home`), stopped afterwards."""
    tool = shutil.which("amtool")
    assert tool, "scripts/setup.sh installs Debian's prometheus-alertmanager (and amtool)"
    server = Alertmanager(StackSettings(state_dir=home, alertmanager_port=_free_port()), config=config)
    server.up()

    def run(*args: str) -> str:
        done = subprocess.run([tool, f"--alertmanager.url={server.url}", *args], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    try:
        yield run
    finally:
        server.down()


@pytest.fixture
def amtool(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """amtool bound to a private Alertmanager running system/deploy/alertmanager/alertmanager.yml."""
    with private_alertmanager(ALERTMANAGER_CONFIG, tmp_path) as run:
        yield run


def _names(amtool: Callable[..., str], *flags: str) -> set[tuple[str, str]]:
    alerts = json.loads(amtool("alert", "query", *flags, "-o", "json"))
    return {(a["labels"]["alertname"], a["labels"].get("queue", a["labels"].get("node", ""))) for a in alerts}


def test_a_node_down_silences_queue_alerts_but_not_dead_letters(amtool: Callable[..., str]) -> None:
    amtool("alert", "add", "QueueWithoutConsumer", "component=queue", "queue=pricing.requests", "cluster=local")
    amtool("alert", "add", "DeadLetterQueueNotEmpty", "component=dlq", "queue=crm.mes-events.dlq", "cluster=local")
    amtool("alert", "add", "QueueDepthGrowing", "component=queue", "queue=mes.crm-events", "cluster=other")
    quiet = {("QueueWithoutConsumer", "pricing.requests"), ("DeadLetterQueueNotEmpty", "crm.mes-events.dlq")}
    wait_until(lambda: quiet <= _names(amtool, "--active"), timeout=30, what="both alerts active")

    amtool("alert", "add", "BrokerNodeDown", "component=broker", "node=rabbit3", "cluster=local", "severity=page")

    def inhibited() -> bool:
        return _names(amtool, "--inhibited") == {("QueueWithoutConsumer", "pricing.requests")}

    wait_until(inhibited, timeout=30, what="the queue alert inhibited")
    active = _names(amtool, "--active")
    assert ("DeadLetterQueueNotEmpty", "crm.mes-events.dlq") in active  # each dead letter needs a look
    assert ("QueueDepthGrowing", "mes.crm-events") in active  # another cluster's queue: not explained by rabbit3
    assert ("BrokerNodeDown", "rabbit3") in active


def test_a_lost_quorum_silences_the_node_pages(amtool: Callable[..., str]) -> None:
    for node in ("rabbit1", "rabbit2"):
        amtool("alert", "add", "BrokerNodeDown", "component=broker", f"node={node}", "cluster=local")
    amtool("alert", "add", "BrokerQuorumLost", "component=broker", "cluster=local")
    expected = {("BrokerNodeDown", "rabbit1"), ("BrokerNodeDown", "rabbit2")}
    wait_until(lambda: _names(amtool, "--inhibited") == expected, timeout=30, what="the node pages inhibited")
    assert _names(amtool, "--active") == {("BrokerQuorumLost", "")}


def test_without_the_inhibition_rules_the_queue_alert_would_page_too(tmp_path: Path) -> None:
    config = yaml.safe_load(ALERTMANAGER_CONFIG.read_text())
    del config["inhibit_rules"]  # the deliberately broken build
    broken = tmp_path / "alertmanager.yml"
    broken.write_text(yaml.safe_dump(config))
    with private_alertmanager(broken, tmp_path) as amtool:
        amtool("alert", "add", "QueueWithoutConsumer", "component=queue", "queue=pricing.requests", "cluster=local")
        amtool("alert", "add", "BrokerNodeDown", "component=broker", "node=rabbit3", "cluster=local")
        both = {("QueueWithoutConsumer", "pricing.requests"), ("BrokerNodeDown", "rabbit3")}
        wait_until(lambda: _names(amtool, "--active") == both, timeout=30, what="both alerts active")
        assert _names(amtool, "--inhibited") == set()
