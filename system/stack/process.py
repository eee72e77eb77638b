"""Long-running processes of the local stack, wherever their runtime puts them, and short commands beside them."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from system.stack.containers import Container


class StackError(RuntimeError):
    """A stack component could not be started, reached or stopped."""


def wait_until(
    check: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    interval: float = 0.2,
    process: ManagedProcess | None = None,
) -> None:
    """Poll `check` until it returns True; raise StackError naming `what` after `timeout` seconds.

    With `process`, fail at once (quoting its log) if that process exits while we wait.
    """
    deadline = time.monotonic() + timeout
    while True:
        if process is not None:
            process.ensure_running()
        try:
            if check():
                return
        except StackError:  # the probe knows it is hopeless (e.g. the process died): fail now
            raise
        except Exception:  # any other probe failure simply means "not yet"
            pass
        if time.monotonic() > deadline:
            raise StackError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def chown_tree(path: Path, owner: tuple[int, int]) -> None:
    """Give `path` and everything under it to `owner` (uid, gid): the broker refuses to run as root."""
    for root, dirs, files in os.walk(path):
        for name in [root, *(os.path.join(root, d) for d in dirs), *(os.path.join(root, f) for f in files)]:
            os.chown(name, *owner)


def pid_alive(pid: int) -> bool:
    """True if `pid` is a running (not zombie) process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def read_pid(pidfile: Path) -> int | None:
    """The pid recorded in `pidfile` if that process is still alive, else None."""
    try:
        pid = int(pidfile.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if pid_alive(pid) else None


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
    check: bool = True,
    user: str | None = None,
    container: Container | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a short command (here, or in a throwaway `container`), capturing output; raise StackError on failure."""
    try:
        if container is not None:
            done = container.run(argv, env or {}, timeout, user)
        else:
            full_env = {**os.environ, **(env or {})}
            done = subprocess.run(
                list(argv), env=full_env, capture_output=True, text=True, timeout=timeout, user=user, check=False
            )
    except subprocess.TimeoutExpired as exc:
        raise StackError(f"{argv[0]} timed out after {timeout}s") from exc
    if check and done.returncode != 0:
        raise StackError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr or done.stdout}")
    return done


Action = Literal["stop", "kill", "pause", "resume"]


class Runtime(Protocol):
    """Where a ManagedProcess runs: on this host (HostRuntime) or in a container (containers.Container)."""

    def pid(self, proc: ManagedProcess) -> int | None:
        """The (host) pid of `proc` while it runs, else None."""
        ...

    def start(self, proc: ManagedProcess) -> None:
        """Start `proc` detached, its output appended to its log file."""
        ...

    def signal(self, proc: ManagedProcess, action: Action, timeout: float = 20) -> None:
        """stop (SIGTERM, SIGKILL after `timeout`, and forget it), kill (SIGKILL), pause (SIGSTOP) or resume."""
        ...


class HostRuntime:
    """Processes of this machine: detached in their own session, tracked by pid file, signalled as a group."""

    def pid(self, proc: ManagedProcess) -> int | None:
        return read_pid(proc.pidfile)

    def start(self, proc: ManagedProcess) -> None:
        if proc.user:
            shutil.chown(proc.logfile, proc.user)
        # Started through a shell that backgrounds it and exits, so the process is not our child: whoever
        # kills it later (a test, the chaos suite, another process than the one that started the stack), init
        # reaps it. As our child it would stay a zombie until we exited, and a server whose old pid is still
        # taken (PostgreSQL's postmaster.pid) could not be restarted.
        script = 'log=$1; shift; "$@" >>"$log" 2>&1 </dev/null & echo $!'
        launcher = subprocess.run(
            ["/bin/sh", "-c", script, "sh", str(proc.logfile), *proc.argv],
            env={**os.environ, **proc.env},
            cwd=proc.cwd,
            start_new_session=True,
            user=proc.user,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        proc.pidfile.write_text(launcher.stdout.strip())

    def signal(self, proc: ManagedProcess, action: Action, timeout: float = 20) -> None:
        pid = self.pid(proc)
        if action == "stop":
            if pid is not None:
                stop_group(pid, timeout)
            proc.pidfile.unlink(missing_ok=True)
        elif pid is not None:
            _signal_group(pid, {"kill": signal.SIGKILL, "pause": signal.SIGSTOP, "resume": signal.SIGCONT}[action])


HOST = HostRuntime()


@dataclass
class ManagedProcess:
    """One long-running process of the stack, started by its runtime and found again by its name."""

    name: str
    argv: list[str]
    run_dir: Path
    log_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    user: str | None = None
    # With the containers runtime: where the process runs, and the container's health check (a shell command;
    # None keeps the image's own). The process stack leaves both None.
    container: Container | None = None
    health: str | None = None

    @property
    def runtime(self) -> Runtime:
        return HOST if self.container is None else self.container

    @property
    def pidfile(self) -> Path:
        return self.run_dir / f"{self.name}.pid"

    @property
    def logfile(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    @property
    def pid(self) -> int | None:
        return self.runtime.pid(self)

    def running(self) -> bool:
        return self.pid is not None

    def ensure_running(self) -> None:
        """Raise StackError pointing at the log if the process has exited."""
        if not self.running():
            tail = self.logfile.read_text(errors="replace")[-600:] if self.logfile.exists() else ""
            raise StackError(f"{self.name} exited; end of {self.logfile}:\n{tail}")

    def start(self) -> None:
        """Start the process unless it already runs (a stale pid file or exited container is replaced)."""
        if self.running():
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.logfile.touch()
        self.runtime.start(self)

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM the process, SIGKILL it after `timeout`; nothing of it is left (pid file, container)."""
        self.runtime.signal(self, "stop", timeout)

    def kill(self) -> None:
        """SIGKILL the process at once (fault injection); return once it is gone."""
        pid = self.pid
        if pid is not None:
            self.runtime.signal(self, "kill")
            wait_until(lambda: not self.running(), timeout=10, what=f"{self.name} (pid {pid}) to die")
            reap(pid)

    def pause(self) -> None:
        """SIGSTOP the process (a frozen process: a long GC pause, a stalled VM); `resume` undoes it."""
        self.runtime.signal(self, "pause")

    def resume(self) -> None:
        self.runtime.signal(self, "resume")


def reap(pid: int) -> None:
    """Collect `pid`'s exit status if it is our child, so no zombie keeps its pid taken (PostgreSQL's lock file
    names the postmaster's pid, and a zombie of it would keep a restarted server from starting)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def gone(pid: int) -> bool:
    """True once no process, not even a zombie, holds `pid`."""
    return not Path(f"/proc/{pid}").exists()


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(os.getpgid(pid), sig)
    except ProcessLookupError:
        return
    except PermissionError:
        os.kill(pid, sig)


def stop_group(pid: int, timeout: float = 20) -> None:
    """Terminate `pid` and its process group, escalating to SIGKILL after `timeout` seconds."""
    _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if pid_alive(pid):
        _signal_group(pid, signal.SIGKILL)
        wait_until(lambda: not pid_alive(pid), timeout=10, what=f"pid {pid} to exit")
