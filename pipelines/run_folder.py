"""A run folder under reports/runs/: created with the run-level Allure files, and found again later."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import datetime
from importlib import metadata
from pathlib import Path

from pipelines import allure
from pipelines.history import History
from pipelines.paths import REPO_ROOT
from pipelines.runner import RunContext
from pipelines.stack_guard import stack_log_dir, stack_runtime

VERSIONS = ("pytest", "allure-pytest", "pytest-rerunfailures", "order-system")


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout.strip()


def commit() -> str:
    """The commit under test (short), marked -dirty when tracked files changed; $GITHUB_SHA without git."""
    try:
        sha = _git("rev-parse", "--short=12", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return os.environ.get("GITHUB_SHA", "unknown")[:12]
    return f"{sha}-dirty" if dirty else sha


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def new_run(runs_dir: Path, profile: str, run_id: str | None, target: str | None, reruns: int) -> RunContext:
    """A fresh run folder with its run-level Allure files; an existing run id gets a numbered suffix."""
    base = run_id or f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-{profile}"
    rid, n = base, 1
    while (runs_dir / rid).exists():
        n += 1
        rid = f"{base}-{n}"
    ctx = RunContext(rid, runs_dir / rid, profile, target, None if target else stack_log_dir(), reruns)
    ctx.prepare()
    environment = {
        "run": rid,
        "profile": profile,
        "target": target or f"local stack ({stack_runtime()})",
        "commit": commit(),
        "python": platform.python_version(),
        "os": platform.platform(),
        **{f"version.{p}": _version(p) for p in VERSIONS},
    }
    allure.write_environment(ctx.results_dir, environment)
    allure.write_categories(ctx.results_dir)
    allure.write_executor(ctx.results_dir, rid, len(History(runs_dir).records()) + 1)
    return ctx


def latest_run(runs_dir: Path) -> Path | None:
    """The most recently created run folder."""
    runs = [p for p in runs_dir.iterdir() if (p / "allure-results").is_dir()] if runs_dir.is_dir() else []
    return max(runs, key=lambda p: p.stat().st_mtime, default=None)
