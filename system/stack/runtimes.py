"""Which runtime the stack gets: processes, containers, or `auto` (containers where they can run), chosen once.

The entry points (`python -m system.stack --runtime`, `qa --runtime`, pytest's `--stack`) resolve the choice
here and put the result in STACK_RUNTIME, which every StackSettings of the process (and of its children) reads.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Callable
from typing import Literal, NamedTuple

from system.stack.containers import client, docker_available, image_ref
from system.stack.settings import REPO_ROOT, StackSettings

log = logging.getLogger(__name__)

Choice = Literal["processes", "containers", "auto"]
CHOICES: tuple[Choice, ...] = ("processes", "containers", "auto")
# Every image a containers stack starts (the load image is the load suite's, not the stack's).
STACK_IMAGES = ("rabbitmq", "postgres", "ceph", "haproxy", "prometheus", "alertmanager", "services")
# The one that carries our code (the others carry Debian's daemons; their configuration is bind-mounted).
CODE_IMAGE = "services"
REVISION_LABEL = "org.opencontainers.image.revision"


class Selection(NamedTuple):
    """The runtime a choice resolved to, and why: `why` is None when the runtime was named outright."""

    runtime: Literal["processes", "containers"]
    why: str | None = None

    def __str__(self) -> str:
        return self.runtime if self.why is None else f"{self.runtime} ({self.why})"


def image_exists(reference: str) -> bool:
    """True if the Docker daemon holds image `reference`."""
    import docker.errors

    try:
        client().images.get(reference)
    except docker.errors.ImageNotFound:
        return False
    return True


def image_revision(reference: str) -> str | None:
    """The commit `make images` built image `reference` from (its OCI revision label)."""
    labels: dict[str, str] = client().images.get(reference).labels
    return labels.get(REVISION_LABEL)


def tree_revision() -> str:
    """This tree's commit as `make images` labels it (`git describe --always --dirty`): "-dirty" if edited."""
    described = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True
    )
    return described.stdout.strip() or "unknown"


def missing_images(settings: StackSettings, exists: Callable[[str], bool] = image_exists) -> list[str]:
    """The stack's images that `make images` has not built (yet) for `settings`' prefix and tag."""
    return [ref for name in STACK_IMAGES if not exists(ref := image_ref(settings, name))]


def cannot_run_containers(
    settings: StackSettings,
    docker: Callable[[], str | None] = docker_available,
    exists: Callable[[str], bool] = image_exists,
) -> str | None:
    """Why the stack's containers cannot start here (no Docker daemon, an image not built), or None."""
    if (reason := docker()) is not None:
        return reason
    if missing := missing_images(settings, exists):
        return f"Docker answers but `make images` has not built {', '.join(missing)}"
    return None


def resolve(
    choice: Choice,
    *,
    docker: Callable[[], str | None] = docker_available,
    exists: Callable[[str], bool] = image_exists,
    built_from: Callable[[str], str | None] = image_revision,
    tree: Callable[[], str] = tree_revision,
) -> Selection:
    """The runtime `choice` means here: `auto` is containers where Docker answers and the images are built from
    this tree (else the containers would run older code than the processes), else processes, saying why."""
    if choice != "auto":
        return Selection(choice)
    if (reason := cannot_run_containers(StackSettings(runtime="containers"), docker, exists)) is not None:
        return Selection("processes", f"auto: {reason}")
    if (now := tree()).endswith("-dirty"):
        return Selection("processes", f"auto: this tree has uncommitted changes ({now}), which no image can hold")
    code = image_ref(StackSettings(runtime="containers"), CODE_IMAGE)
    if (built := built_from(code)) != now:
        return Selection("processes", f"auto: {code} was built from {built}, this tree is at {now}: `make images`")
    return Selection("containers", f"auto: Docker answers and every image of the stack is built, from {now}")


def select(choice: str | None) -> Selection | None:
    """Resolve `choice` (else STACK_RUNTIME) once and make it this process's runtime (None: nothing chosen)."""
    choice = choice or os.environ.get("STACK_RUNTIME")
    if choice is None:
        return None
    if choice not in CHOICES:
        raise ValueError(f"unknown stack runtime {choice!r}: expected one of {', '.join(CHOICES)}")
    selection = resolve(choice)
    os.environ["STACK_RUNTIME"] = selection.runtime
    log.info("stack runtime %s", selection)
    return selection
