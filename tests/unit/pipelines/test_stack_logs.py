"""Which stack log lines a failed test gets: those written while it ran, bounded in size."""

from __future__ import annotations

from pathlib import Path

from pipelines import stack_logs
from pipelines.stack_logs import _sizes, written_since


def test_only_lines_written_during_the_test_are_taken(tmp_path: Path) -> None:
    (tmp_path / "rabbit1.log").write_text("old line\n")
    (tmp_path / "postgres.log").write_text("quiet\n")
    offsets = _sizes(tmp_path)
    with (tmp_path / "rabbit1.log").open("a") as f:
        f.write("connection closed\n")
    (tmp_path / "crm-1.log").write_text("started during the test\n")
    assert written_since(tmp_path, offsets) == {
        "rabbit1.log": b"connection closed\n",
        "crm-1.log": b"started during the test\n",
    }


def test_a_truncated_log_is_taken_from_its_start(tmp_path: Path) -> None:
    (tmp_path / "s3.log").write_text("x" * 100)
    offsets = _sizes(tmp_path)
    (tmp_path / "s3.log").write_text("after rotation\n")
    assert written_since(tmp_path, offsets) == {"s3.log": b"after rotation\n"}


def test_a_huge_burst_is_cut_to_its_last_bytes(tmp_path: Path) -> None:
    (tmp_path / "files-1.log").write_text("")
    offsets = _sizes(tmp_path)
    (tmp_path / "files-1.log").write_bytes(b"a" * (stack_logs.MAX_BYTES + 10) + b"END")
    taken = written_since(tmp_path, offsets)["files-1.log"]
    assert len(taken) == stack_logs.MAX_BYTES and taken.endswith(b"END")
