"""The committed pacts (`http/`, `messages/`) and how they are generated: the consumer tests, into `$PACT_DIR`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

PACTS = Path(__file__).resolve().parent
REPO_ROOT = PACTS.parents[1]
KINDS = ("http", "messages")


def consumer_suites() -> list[Path]:
    """The consumer test folders that exist (messages may not be built yet)."""
    folders = (REPO_ROOT / "contracts" / kind / "consumers" for kind in KINDS)
    return [folder for folder in folders if folder.is_dir()]


def pact_files(root: Path = PACTS, kind: str | None = None) -> list[Path]:
    """Every pact file under `root/<kind>/` (both kinds unless one is named), sorted."""
    kinds = [kind] if kind else list(KINDS)
    return sorted(p for k in kinds for p in (root / k).glob("*.json"))


def read(path: Path) -> dict[str, Any]:
    """A pact file, parsed."""
    parsed: dict[str, Any] = json.loads(path.read_text())
    return parsed


def generate(root: Path) -> subprocess.CompletedProcess[str]:
    """Run every consumer test with PACT_DIR=`root`; the pacts land in `root/http` and `root/messages`."""
    command = [sys.executable, "-m", "pytest", *map(str, consumer_suites()), "-q", "-p", "no:cacheprovider"]
    env = {**os.environ, "PACT_DIR": str(root)}
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
