"""Write the dashboards' JSON into `dashboards/`, or (`--check`) name the committed files that are stale."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from system.deploy.generated import Generated
from system.deploy.grafana.catalogue import all_dashboards, render

OUT_DIR = Path(__file__).resolve().parent / "dashboards"


def expected() -> dict[str, str]:
    """File name -> content of every dashboard file, as the code generates it now."""
    return {f"{dashboard.uid}.json": render(dashboard) for dashboard in all_dashboards()}


GENERATED = Generated(
    command="python -m system.deploy.grafana",
    default_dir=OUT_DIR,
    patterns=("*.json",),
    expected=expected,
    owner="dashboard",
)
stale, write, orphans = GENERATED.stale, GENERATED.write, GENERATED.orphans


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m system.deploy.grafana [--check] [--out DIR]`: 0 when up to date (or written), 1 when stale."""
    return GENERATED.main(argv, __doc__)
