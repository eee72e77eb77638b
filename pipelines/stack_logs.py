"""Pytest plugin (`-p pipelines.stack_logs --stack-logs DIR`): a failed test gets, as Allure attachments,
the lines each stack process logged while that test ran, so the reader sees the broker's or the service's
side of the failure next to the assertion."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import allure
import pytest

MAX_BYTES = 256 * 1024  # per log: enough context for a failure, small enough for the report
_OFFSETS = pytest.StashKey[dict[Path, int]]()
_ATTACHED = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--stack-logs", default=None, help="folder of stack logs to attach to failed tests")


def _log_dir(config: pytest.Config) -> Path | None:
    value = config.getoption("--stack-logs")
    return Path(value) if value else None


def _sizes(folder: Path) -> dict[Path, int]:
    return {p: p.stat().st_size for p in sorted(folder.glob("*.log")) if p.is_file()}


def written_since(folder: Path, offsets: dict[Path, int]) -> dict[str, bytes]:
    """For each log that grew since `offsets` was taken, the bytes it gained (the last MAX_BYTES of them)."""
    grown = {}
    for path, size in _sizes(folder).items():
        start = offsets.get(path, 0)
        if size < start:  # rotated or truncated meanwhile: all of it is new
            start = 0
        if size > start:
            with path.open("rb") as f:
                f.seek(max(start, size - MAX_BYTES))
                grown[path.name] = f.read(size - max(start, size - MAX_BYTES))
    return grown


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    folder = _log_dir(item.config)
    item.stash[_OFFSETS] = _sizes(folder) if folder and folder.is_dir() else {}
    item.stash[_ATTACHED] = False


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, object, None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    folder = _log_dir(item.config)
    if not report.failed or folder is None or item.stash.get(_ATTACHED, True):
        return
    item.stash[_ATTACHED] = True
    for name, body in written_since(folder, item.stash.get(_OFFSETS, {})).items():
        allure.attach(body, name=f"stack log {name}", attachment_type=allure.attachment_type.TEXT)
