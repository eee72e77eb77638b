"""The containers runtime's decisions, without Docker: which processes get a container, and how it is run."""

from __future__ import annotations

import sys
from pathlib import Path

from system.stack.containers import IMAGE_USERS, container, owner, program
from system.stack.settings import REPO_ROOT, StackSettings


def test_the_process_stack_runs_nothing_in_containers() -> None:
    settings = StackSettings(runtime="processes")
    assert container(settings, "rabbitmq") is None
    assert program(settings, "python", sys.executable) == sys.executable


def test_containers_keep_their_state_apart_unless_told_otherwise(tmp_path: Path) -> None:
    assert StackSettings(runtime="containers").state_dir == REPO_ROOT / ".stack-containers"
    assert StackSettings(runtime="processes").state_dir == REPO_ROOT / ".stack"
    assert StackSettings(runtime="containers", state_dir=tmp_path).state_dir == tmp_path


def test_a_container_shares_the_hosts_network_and_pids_and_mounts_the_state_at_its_own_path(tmp_path: Path) -> None:
    settings = StackSettings(runtime="containers", state_dir=tmp_path)
    box = container(settings, "postgres")
    assert box is not None
    assert box.image == "layerworks/postgres:latest"
    assert box.mounts[0] == tmp_path  # written; the deploy configuration after it is read-only
    kwargs = box._kwargs(user="postgres", health="pg_isready")
    assert kwargs["network_mode"] == "host" and kwargs["pid_mode"] == "host"
    assert kwargs["user"] == "postgres"
    assert kwargs["healthcheck"]["test"] == ["CMD-SHELL", "pg_isready"]
    assert program(settings, "postgres", "/usr/lib/postgresql/15/bin/postgres") == "postgres"  # the image's PATH


def test_two_stacks_never_share_a_container_name(tmp_path: Path) -> None:
    one, two, again = (
        container(StackSettings(runtime="containers", state_dir=tmp_path / d), "services") for d in ("a", "b", "a")
    )
    assert one is not None and two is not None and again is not None
    assert one.name("crm-1") != two.name("crm-1")
    assert one.name("crm-1") == again.name("crm-1")  # the same stack finds its containers again (`make down`)


def test_files_are_handed_to_the_images_users_not_this_hosts() -> None:
    settings = StackSettings(runtime="containers")
    assert owner(settings, "rabbitmq") == IMAGE_USERS["rabbitmq"] == (900, 900)
    assert owner(settings, "app") == (10001, 10001)
