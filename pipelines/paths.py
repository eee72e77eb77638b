"""Where the gate reads its inputs and writes its runs; every default can be overridden from the command line."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_POLICY = Path(__file__).resolve().with_name("gates.toml")
CATEGORIES = REPO_ROOT / "reports" / "categories.json"


def default_runs_dir() -> Path:
    """reports/runs/ (git-ignored), or $QA_RUNS_DIR: one folder per run, plus the history shared by all runs."""
    return Path(os.environ.get("QA_RUNS_DIR", REPO_ROOT / "reports" / "runs"))


def allure_cli() -> Path | None:
    """The Allure 2 command line: $QA_ALLURE, else the copy `make setup` installs under .tools/, else PATH."""
    candidates = [os.environ.get("QA_ALLURE", ""), str(REPO_ROOT / ".tools" / "node_modules" / ".bin" / "allure")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return Path(candidate)
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        path = Path(folder) / "allure"
        if folder and os.access(path, os.X_OK):
            return path
    return None
