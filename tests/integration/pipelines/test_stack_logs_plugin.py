"""The stack-logs pytest plugin in a real pytest run: a failed test's Allure result gets the stack log lines
written while it ran; a passing test gets none."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

TESTS = """
from pathlib import Path

LOGS = Path(__file__).parent / "logs"


def _log(name, line):
    with (LOGS / name).open("a") as f:
        f.write(line + "\\n")


def test_consumer_sees_its_message():
    _log("rabbit1.log", "channel 7 closed: PRECONDITION_FAILED")
    assert False, "the message never arrived"


def test_quiet_pass():
    _log("rabbit1.log", "heartbeat")
"""


def test_a_failed_test_gets_the_stack_log_lines_of_its_own_run(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "rabbit1.log").write_text("line from before the test\n")
    (tmp_path / "logs" / "postgres.log").write_text("untouched during the tests\n")
    (tmp_path / "test_sample.py").write_text(TESTS)
    results = tmp_path / "results"
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "pipelines.stack_logs",
        f"--stack-logs={tmp_path / 'logs'}",
        f"--alluredir={results}",
        str(tmp_path / "test_sample.py"),
    ]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    by_name = {r["name"]: r for r in (json.loads(p.read_text()) for p in results.glob("*-result.json"))}
    failed = {
        a["name"]: (results / a["source"]).read_text() for a in by_name["test_consumer_sees_its_message"]["attachments"]
    }
    assert failed["stack log rabbit1.log"] == "channel 7 closed: PRECONDITION_FAILED\n"
    assert "stack log postgres.log" not in failed
    assert not [a for a in by_name["test_quiet_pass"].get("attachments", []) if a["name"].startswith("stack log")]
