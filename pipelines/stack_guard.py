"""The local stack for a run: used as it is when already up, started and then stopped again when not, and
left alone when the suites need no stack or run against an already running environment (--target)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


class StackUnavailable(RuntimeError):
    """The local stack could not be started: the gate cannot run (exit 2)."""


def stack_log_dir() -> Path:
    """Where the local stack's processes log (attached to failed tests)."""
    from system.stack.settings import StackSettings

    return StackSettings().log_dir


def stack_runtime() -> str:
    """Where the local stack runs: processes of this machine, or containers (`qa --runtime`)."""
    from system.stack.settings import StackSettings

    return StackSettings().runtime


@contextmanager
def local_stack(needed: bool, target: str | None, say: Callable[[str], None]) -> Iterator[str]:
    """Provide the stack for the duration of the block; yields how it was provided."""
    if target:
        say(f"target {target}: the local stack is not used")
        yield "target"
        return
    if not needed:
        yield "not needed"
        return
    # Imported here: a run that needs no stack should not pay for (or depend on) the stack's code.
    from system.stack.process import StackError
    from system.stack.stack import Stack

    stack = Stack()
    if stack.status().healthy:
        say("local stack already up: using it, leaving it up")
        yield "already up"
        return
    say("starting the local stack (it will be stopped afterwards)")
    try:
        seconds = stack.up(progress=lambda msg: say(f"  {msg}"))
    except StackError as exc:
        stack.down(progress=lambda msg: None)
        raise StackUnavailable(f"the local stack did not start: {exc}") from exc
    say(f"local stack up in {seconds:.0f}s")
    try:
        yield "started"
    finally:
        stack.down(progress=lambda msg: None)
        say("local stack stopped (this run started it)")
