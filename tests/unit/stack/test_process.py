"""Stack processes are detached: whoever kills one, it does not linger as a zombie of the process that started it."""

from __future__ import annotations

import os
from pathlib import Path

from system.stack.process import ManagedProcess, gone, wait_until


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def test_a_started_process_is_not_our_child_and_is_gone_once_killed(tmp_path: Path) -> None:
    proc = ManagedProcess(name="sleeper", argv=["sleep", "60"], run_dir=tmp_path / "run", log_dir=tmp_path / "logs")
    proc.start()
    pid = proc.pid
    assert pid is not None and proc.running()
    try:
        assert _parent(pid) != os.getpid()  # as our child, a kill -9 by anyone else would leave a zombie here
    finally:
        proc.kill()
    # Not reaped by us (it is not our child): it must vanish all the same, pid and all.
    wait_until(lambda: gone(pid), timeout=10, what=f"pid {pid} to be gone")
    assert not proc.running()


def test_output_goes_to_the_process_log(tmp_path: Path) -> None:
    proc = ManagedProcess(
        name="talker", argv=["sh", "-c", "echo hello; echo oops >&2"], run_dir=tmp_path, log_dir=tmp_path / "logs"
    )
    proc.start()
    wait_until(lambda: proc.logfile.read_text() == "hello\noops\n", timeout=10, what="both lines in the log")
