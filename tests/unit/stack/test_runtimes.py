"""Which runtime the stack gets: `auto` takes containers only where they can run, and the choice is made once."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from system.stack import runtimes
from system.stack.cli import app
from system.stack.settings import StackSettings

BUILT = {f"layerworks/{name}:latest" for name in runtimes.STACK_IMAGES}
HEAD = "3f9c2ab"


@pytest.fixture(autouse=True)
def no_runtime_chosen(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with no STACK_RUNTIME and leaves none: select() writes the choice into the environment,
    where it would outlive the test and choose the runtime of every later test's StackSettings."""
    monkeypatch.delenv("STACK_RUNTIME", raising=False)
    yield
    os.environ.pop("STACK_RUNTIME", None)  # monkeypatch restores a value it removed, never one select() added


def built_from(revision: str | None) -> dict[str, object]:
    """resolve()'s probes of the images' and the tree's commits: images built from `revision`, the tree at HEAD."""
    return {"built_from": lambda ref: revision, "tree": lambda: HEAD}


def no_docker() -> str:
    return "no Docker daemon answers (FileNotFoundError: no socket)"


def docker() -> None:
    return None


def test_an_explicit_choice_is_taken_as_it_is() -> None:
    assert runtimes.resolve("containers", docker=no_docker, exists=lambda ref: False) == ("containers", None)
    assert runtimes.resolve("processes", docker=docker, exists=BUILT.__contains__) == ("processes", None)


def test_auto_takes_containers_where_docker_answers_and_every_image_is_built() -> None:
    runtime, why = runtimes.resolve("auto", docker=docker, exists=BUILT.__contains__, **built_from(HEAD))
    assert runtime == "containers", why


def test_auto_falls_back_to_processes_when_the_code_image_is_older_than_the_tree() -> None:
    runtime, why = runtimes.resolve("auto", docker=docker, exists=BUILT.__contains__, **built_from("1a2b3c4"))
    assert runtime == "processes"
    assert "layerworks/services:latest was built from 1a2b3c4, this tree is at 3f9c2ab" in why


def test_auto_falls_back_to_processes_on_an_edited_tree_which_no_image_holds() -> None:
    runtime, why = runtimes.resolve(
        "auto",
        docker=docker,
        exists=BUILT.__contains__,
        built_from=lambda ref: f"{HEAD}-dirty",
        tree=lambda: f"{HEAD}-dirty",
    )
    assert (runtime, "uncommitted changes" in why) == ("processes", True)


def test_the_tree_revision_names_this_checkout_s_commit() -> None:
    described = runtimes.tree_revision().removesuffix("-dirty")

    def commit(rev: str) -> str:
        return subprocess.run(["git", "rev-parse", f"{rev}^{{commit}}"], capture_output=True, text=True).stdout

    assert commit(described) == commit("HEAD") != ""


def test_auto_falls_back_to_processes_without_docker_saying_why() -> None:
    runtime, why = runtimes.resolve("auto", docker=no_docker, exists=BUILT.__contains__)
    assert (runtime, why) == ("processes", f"auto: {no_docker()}")


def test_auto_falls_back_to_processes_when_an_image_is_missing_and_names_it() -> None:
    runtime, why = runtimes.resolve("auto", docker=docker, exists=(BUILT - {"layerworks/ceph:latest"}).__contains__)
    assert runtime == "processes"
    assert "layerworks/ceph:latest" in why and "layerworks/postgres:latest" not in why


def test_the_images_looked_for_follow_the_settings_prefix_and_tag() -> None:
    settings = StackSettings(runtime="containers", image_prefix="registry.example/lw-", image_tag="1.2.3")
    missing = runtimes.missing_images(settings, exists=lambda ref: ref.endswith(":latest"))
    assert missing == [f"registry.example/lw-{name}:1.2.3" for name in runtimes.STACK_IMAGES]


def test_the_choice_becomes_every_settings_runtime() -> None:
    assert runtimes.select(None) is None
    assert StackSettings().runtime == "processes"
    assert runtimes.select("containers") == ("containers", None)
    assert StackSettings().runtime == "containers"


def test_auto_in_the_environment_is_resolved_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STACK_RUNTIME", "auto")
    monkeypatch.setattr(runtimes, "resolve", lambda choice: runtimes.Selection("processes", f"{choice}: a fake probe"))
    assert runtimes.select(None) == ("processes", "auto: a fake probe")
    assert StackSettings().runtime == "processes"


def test_an_unknown_runtime_is_refused_with_the_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STACK_RUNTIME", "kubernetes")
    with pytest.raises(ValueError, match="processes, containers, auto"):
        runtimes.select(None)
    result = CliRunner().invoke(app, ["status"], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert "unknown stack runtime 'kubernetes'" in result.output


def test_the_cli_says_why_only_when_it_chose_by_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtimes, "resolve", lambda choice: runtimes.Selection("processes", "auto: a fake probe"))
    said = CliRunner().invoke(app, ["--runtime", "auto", "status"], env={"COLUMNS": "200"}).output
    assert "stack runtime: processes (auto: a fake probe)" in said
    monkeypatch.setattr(runtimes, "resolve", lambda choice: runtimes.Selection(choice))
    said = CliRunner().invoke(app, ["--runtime", "processes", "status"], env={"COLUMNS": "200"}).output
    assert "stack runtime" not in said and "local stack" in said


def test_the_containers_check_names_the_missing_images() -> None:
    settings = StackSettings(runtime="containers")
    assert runtimes.cannot_run_containers(settings, docker=docker, exists=BUILT.__contains__) is None
    reason = runtimes.cannot_run_containers(
        settings, docker=docker, exists=(BUILT - {"layerworks/ceph:latest"}).__contains__
    )
    assert reason == "Docker answers but `make images` has not built layerworks/ceph:latest"
