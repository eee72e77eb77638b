"""Snapshot assertions for CLI output: compare with snapshots/NAME.txt; UPDATE_SNAPSHOTS=1 rewrites them."""

from __future__ import annotations

import os
import re
from pathlib import Path

SNAPSHOTS = Path(__file__).with_name("snapshots")

# Volatile fields: run ids (time-stamped), durations, commits, absolute paths of temporary folders.
_VOLATILE = [
    (re.compile(r"\b\d{8}-\d{6}-"), "<TIME>-"),
    (re.compile(r"\b\d+m \d{2}s\b|\b\d+\.\d+s\b"), "<DURATION>"),
    (re.compile(r"`[0-9a-f]{12}(-dirty)?`|\b[0-9a-f]{12}(-dirty)?\b|`unknown`"), "<COMMIT>"),
]


def normalise(text: str, *paths: Path, volatile: bool = True) -> str:
    """Replace what changes between runs (times, commits, temporary paths) with stable placeholders."""
    for i, path in enumerate(paths):
        text = text.replace(str(path), f"<PATH{i}>")
    for pattern, placeholder in _VOLATILE if volatile else []:
        text = pattern.sub(placeholder, text)
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def assert_snapshot(name: str, text: str) -> None:
    """`text` equals the stored snapshot `name` (stored anew when UPDATE_SNAPSHOTS=1)."""
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"no snapshot {path.name}: run with UPDATE_SNAPSHOTS=1 once and review it"
    assert text == path.read_text(), f"output differs from snapshot {path.name} (UPDATE_SNAPSHOTS=1 to accept)"
