"""The stack's start and stop when something is wrong: no Docker for a containers stack, an image not built, a
component that will not stop (the others still stop)."""

from __future__ import annotations

from pathlib import Path

import pytest

from system.stack import stack as stack_module
from system.stack.process import StackError
from system.stack.settings import StackSettings
from system.stack.stack import Stack


def test_a_containers_stack_without_docker_says_so_instead_of_failing_on_each_component(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(stack_module, "docker_available", lambda: "no Docker daemon answers (a fake probe)")
    stack = Stack(StackSettings(runtime="containers", state_dir=tmp_path))
    assert stack.status().rows == [("docker", False, "no Docker daemon answers (a fake probe)")]
    said: list[str] = []
    stack.down(progress=said.append)
    assert said == ["stack down: nothing to stop, no Docker daemon answers (a fake probe)"]


def test_a_containers_stack_does_not_start_without_its_images(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(
        stack_module, "cannot_run_containers", lambda settings: "`make images` has not built layerworks/ceph:latest"
    )
    with pytest.raises(StackError, match="cannot start: `make images` has not built layerworks/ceph:latest"):
        Stack(StackSettings(runtime="containers", state_dir=tmp_path)).up(progress=lambda msg: None)
    assert list(tmp_path.iterdir()) == [], "nothing started, nothing written"


class _Component:
    """A stack component that records its stop, or fails it."""

    def __init__(self, name: str, stopped: list[str], fails: bool = False) -> None:
        self.name, self.stopped, self.fails = name, stopped, fails

    def down(self) -> None:
        if self.fails:
            raise RuntimeError(f"{self.name} would not stop")
        self.stopped.append(self.name)


def test_down_stops_every_other_component_when_one_will_not_stop(tmp_path: Path) -> None:
    stack, stopped = Stack(StackSettings(runtime="processes", state_dir=tmp_path)), []
    stack.prometheus = _Component("prometheus", stopped, fails=True)  # type: ignore[assignment]
    for name in ("alertmanager", "haproxy", "s3", "rabbitmq", "postgres"):
        setattr(stack, name, _Component(name, stopped))
    stack.services = [_Component("crm", stopped)]  # type: ignore[list-item]
    with pytest.raises(StackError, match="1 step\\(s\\) failed, the rest stopped; first: prometheus would not stop"):
        stack.down(progress=lambda msg: None)
    assert sorted(stopped) == ["alertmanager", "crm", "haproxy", "postgres", "rabbitmq", "s3"]
