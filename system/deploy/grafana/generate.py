"""Write the dashboards' JSON into `dashboards/`, or (`--check`) name the committed files that are stale."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from system.deploy.grafana.catalogue import all_dashboards, render

OUT_DIR = Path(__file__).resolve().parent / "dashboards"


def expected() -> dict[str, str]:
    """File name -> content of every dashboard file, as the code generates it now."""
    return {f"{dashboard.uid}.json": render(dashboard) for dashboard in all_dashboards()}


def stale(directory: Path, wanted: dict[str, str] | None = None) -> list[str]:
    """Files of `directory` that differ from the generated ones, are missing, or belong to no dashboard."""
    wanted = expected() if wanted is None else wanted
    present = {path.name for path in directory.glob("*.json")}
    differ = [name for name, text in wanted.items() if name not in present or (directory / name).read_text() != text]
    return sorted(differ + [name for name in present if name not in wanted])


def write(directory: Path) -> list[str]:
    """Write every generated file of `directory` that is stale; the names of the files written."""
    wanted = expected()
    directory.mkdir(parents=True, exist_ok=True)
    written = [name for name in stale(directory, wanted) if name in wanted]
    for name in written:
        (directory / name).write_text(wanted[name])
    return written


def orphans(directory: Path) -> list[str]:
    """JSON files of `directory` that no dashboard generates (a removed or renamed dashboard)."""
    wanted = expected()
    return sorted(path.name for path in directory.glob("*.json") if path.name not in wanted)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m system.deploy.grafana [--check] [--out DIR]`: 0 when up to date (or written), 1 when stale."""
    parser = argparse.ArgumentParser(prog="python -m system.deploy.grafana", description=__doc__)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is stale")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help=f"where the JSON goes (default {OUT_DIR})")
    args = parser.parse_args(argv)
    if args.check:
        outdated = stale(args.out)
        unowned = set(orphans(args.out))
        for name in outdated:
            print(f"{_why(name in unowned)}: {args.out / name}", file=sys.stderr)
        if set(outdated) - unowned:
            print("regenerate with: python -m system.deploy.grafana", file=sys.stderr)
        return 1 if outdated else 0
    for name in write(args.out):
        print(f"wrote {args.out / name}")
    for name in orphans(args.out):  # never deleted here: --out may name a directory that holds other files
        print(f"{_why(True)}: {args.out / name}", file=sys.stderr)
    return 0


def _why(orphan: bool) -> str:
    return "no dashboard generates it, delete" if orphan else "stale"
