"""Benchmark: quotes from the real slicer. Part of `make bench-pricing` (after the geometry benchmark).

1. Slicer time per orientation for a small, a medium and a large part, FDM and SLA (PrusaSlicer 2.5 through
   `system.pricing.build.slice_in`, exactly as a worker runs it): seconds per orientation and what it estimated.
2. Quotes per second with 1 and 2 worker processes: each process prices its share of `--quotes` distinct parts
   (no memo and no checkpoint can serve one) through `system.pricing.service.price_line` with the real slicer,
   as one pricing worker does, minus the broker and the File Service. The ratio shows what a second process buys
   on this machine.

No limit is asserted: the figures are for the reader.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from system.kernel.messaging.catalogue import Material, Process
from system.mesh.geometry import Triangles
from system.mesh.stl_write import write_stl
from system.pricing.adapters.checkpoint_store import FolderCheckpoints
from system.pricing.build import ProcessSlicer, slice_in, slicer_version
from system.pricing.orientation import candidates, distinct_builds
from system.pricing.service import Engine, price_line
from tests.fixtures.cad import l_bracket, torus
from tests.fixtures.meshes import cube_triangles
from tests.unit.pricing.fakes import FakeModels, pricing_request

console = Console()


def indexed(vertices: np.ndarray, faces: np.ndarray) -> Triangles:
    return np.asarray(vertices[faces], dtype=np.float64)


PARTS: dict[str, Callable[[], Triangles]] = {  # name -> triangles (mm)
    "small: 20 mm cube": lambda: cube_triangles(20.0),
    "medium: 80 mm L-bracket": lambda: indexed(*l_bracket(80.0, 60.0, 8.0, 40.0)),
    "large: 138 mm torus, 18k triangles": lambda: indexed(*torus(55.0, 14.0, 192, 48)),
}


async def per_orientation(process: Process, material: Material, work: Path) -> Table:
    table = Table("part", "orientations", "s per orientation (mean)", "slowest s", "print time (first)", "material cm³")
    for name, make in PARTS.items():
        triangles = make()
        options = distinct_builds(triangles, candidates(triangles))
        seconds, first = [], None
        for option in options:
            started = time.perf_counter()
            built = await slice_in(triangles, option, process, material, work, timeout_s=1800)
            seconds.append(time.perf_counter() - started)
            first = first or built.estimate
        table.add_row(name, str(len(options)), f"{np.mean(seconds):.2f}", f"{max(seconds):.2f}",
                      f"{first.print_seconds / 3600:.1f} h" if first else "-",
                      f"{first.material_cm3:.1f}" if first else "-")  # fmt: skip
    table.title = f"{process.value.upper()} ({material.value})"
    return table


def quote_many(sizes: list[float], folder: str) -> int:
    """Body of one benchmark process: price a cube of each size, one after another, as one worker would."""

    async def run() -> int:
        models, work = FakeModels(), Path(folder)
        engine = Engine(models.fetch, ProcessSlicer(work / "slicing", 1800), FolderCheckpoints(work / "checkpoints"),
                        max_model_bytes=1 << 30, job_timeout_s=1800, slicer_version=slicer_version())  # fmt: skip
        priced = 0
        for size in sizes:
            file_id, sha = models.add(write_stl(work / f"cube-{size:.6f}.stl", cube_triangles(size)))
            outcome = await price_line(pricing_request(file_id, sha), engine)
            priced += hasattr(outcome, "total_price")
        return priced

    return asyncio.run(run())


def quotes_per_second(processes: int, quotes: int) -> tuple[float, int]:
    sizes = [10.0 + 20.0 * i / quotes + 1e-4 * np.random.rand() for i in range(quotes)]
    shares = [sizes[i::processes] for i in range(processes)]
    with tempfile.TemporaryDirectory() as folder, multiprocessing.get_context("spawn").Pool(processes) as pool:
        started = time.perf_counter()
        priced = sum(pool.starmap(quote_many, [(share, folder) for share in shares]))
        return quotes / (time.perf_counter() - started), priced


def main(quotes: Annotated[int, typer.Option(help="distinct FDM cubes priced per run")] = 24) -> None:
    """Slicer time per orientation; quotes per second with 1 and 2 worker processes."""
    with tempfile.TemporaryDirectory() as work:
        for process, material in ((Process.FDM, Material.PLA), (Process.SLA, Material.RESIN)):
            console.print(asyncio.run(per_orientation(process, material, Path(work))))
    table = Table("worker processes", "quotes", "priced", "quotes / s", "vs 1 process", title="FDM quotes, real slicer")
    baseline = 0.0
    for processes in (1, 2):
        rate, priced = quotes_per_second(processes, quotes)
        baseline = baseline or rate
        table.add_row(str(processes), str(quotes), str(priced), f"{rate:.2f}", f"{rate / baseline:.2f}x")
    console.print(table)


if __name__ == "__main__":
    typer.run(main)
