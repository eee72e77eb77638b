"""Measured figures of a run (p95, error rate, lost messages...): load and chaos write them, the gate's
threshold rules read them. They live in the run folder as metrics.json: {"load.p95_ms": 412.0, ...}."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path

METRICS_FILE = "metrics.json"


def _path(path: Path | None) -> Path:
    if path is not None:
        return path
    env = os.environ.get("QA_METRICS")
    if not env:
        raise RuntimeError("no metrics file: pass a path, or run under `qa run`/`qa gate` (which set QA_METRICS)")
    return Path(env)


def record(values: Mapping[str, float], path: Path | None = None) -> Path:
    """Merge `values` into the run's metrics.json (at $QA_METRICS unless `path` is given); return its path."""
    target = _path(path)
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"metric {name} must be a finite number, got {value!r}")
    merged = {**read(target), **{name: float(value) for name, value in values.items()}}
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(merged, indent=2, sort_keys=True))
    tmp.replace(target)  # a reader never sees half a file
    return target


def read(path: Path) -> dict[str, float]:
    """The figures recorded so far ({} when none)."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    return {str(k): float(v) for k, v in data.items()}
