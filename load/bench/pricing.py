"""Benchmark: measuring a large model, ours beside trimesh doing the same work in the same run.

`make bench-pricing` writes two binary STLs of about a million triangles (a torus exported cleanly, and the
same torus as an inch-drawn CAD export whose corners differ in the last bits), then times, best of `--repeat`:

- ours: parse, weld, shells, orientation, volume, area, bounds, watertightness (`system.mesh.validate_model`);
- trimesh 5.2: load (merging exact duplicates), merge within a tolerance, split into shells, fix the winding and
  inversion of each (`trimesh.repair.fix_normals`), then volume, area, bounds and watertightness.

It prints the seconds, triangles/s and the ratio trimesh / ours; the answers are compared so a fast wrong
answer cannot pass unnoticed. No limit is asserted: the figures are for the reader.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from system.mesh import validate_model
from tests.fixtures.cad import cad_export, torus
from tests.fixtures.meshes import write_binary_stl

console = Console()


def trimesh_measure(path: Path, tolerance: float) -> dict[str, Any]:
    """The same measurements through trimesh's own pipeline."""
    import trimesh

    mesh = trimesh.load_mesh(path)
    mesh.merge_vertices(digits_vertex=max(0, int(-np.log10(tolerance))))
    shells = mesh.split(only_watertight=False)
    for shell in shells:
        trimesh.repair.fix_normals(shell)  # type: ignore[no-untyped-call]
    return {
        "volume": float(sum(abs(s.volume) for s in shells)),
        "area": float(mesh.area),
        "bounds": mesh.bounds.tolist(),
        "watertight": bool(mesh.is_watertight),
        "shells": len(shells),
    }


def ours_measure(path: Path) -> dict[str, Any]:
    summary = validate_model(path, max_bytes=1 << 31)
    return {
        "volume": summary.volume_mm3,
        "area": summary.area_mm2,
        "bounds": [list(summary.bbox_min), list(summary.bbox_max)],
        "watertight": summary.watertight,
        "shells": summary.shells,
    }


def best_of(repeat: int, work: Callable[[], dict[str, Any]]) -> tuple[float, dict[str, Any]]:
    times, answer = [], {}
    for _ in range(repeat):
        started = time.perf_counter()
        answer = work()
        times.append(time.perf_counter() - started)
    return min(times), answer


def main(
    around: Annotated[int, typer.Option(help="torus segments around; triangles = 2 * around * across")] = 1000,
    across: Annotated[int, typer.Option(help="torus segments across")] = 500,
    repeat: Annotated[int, typer.Option(help="runs of ours; the best is reported")] = 3,
    trimesh_repeat: Annotated[int, typer.Option(help="runs of trimesh (slow)")] = 1,
) -> None:
    """Time ours against trimesh on a clean and a CAD-exported million-triangle model."""
    vertices, faces = torus(30.0, 8.0, around, across)
    table = Table("model", "triangles", "ours s", "ours tri/s", "trimesh s", "trimesh / ours", "volumes agree")
    with tempfile.TemporaryDirectory() as tmp:
        models = {
            "clean export (mm)": write_binary_stl(Path(tmp) / "clean.stl", vertices[faces]),
            "CAD export (inch)": write_binary_stl(Path(tmp) / "cad.stl", cad_export(vertices, faces)),
        }
        for name, path in models.items():
            ours_s, ours = best_of(repeat, partial(ours_measure, path))
            tolerance = 1e-5 * float(np.linalg.norm(np.subtract(*ours["bounds"][::-1])))
            theirs_s, theirs = best_of(trimesh_repeat, partial(trimesh_measure, path, tolerance))
            agree = abs(ours["volume"] - theirs["volume"]) <= 1e-6 * theirs["volume"]
            table.add_row(
                name, f"{len(faces):,}", f"{ours_s:.3f}", f"{len(faces) / ours_s:,.0f}", f"{theirs_s:.2f}",
                f"{theirs_s / ours_s:.1f}x", f"{agree} ({ours['volume']:.6g} / {theirs['volume']:.6g} mm³)",
            )  # fmt: skip
            console.print(f"{name}: ours {ours} trimesh {theirs}")
    console.print(table)


if __name__ == "__main__":
    typer.run(main)
