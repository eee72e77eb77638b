"""How a part is built, from the slicer: print time and material in one orientation, with the process's profile.

Profiles are versioned config files in `profiles/` (PrusaSlicer keys): `<process>.ini` for the printer and print
settings, `<process>-<material>.ini` for the material. FDM slices to G-code, SLA to a layer archive; SLS has no
slicer here and keeps the geometric model in cost.py.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from system.kernel.messaging.catalogue import Material, Process
from system.mesh.geometry import Triangles
from system.mesh.stl_write import write_stl
from system.pricing import slicer
from system.pricing.orientation import Orientation
from system.pricing.rates import PROCESSES
from system.pricing.slicer import OnProgress, SliceEstimate

PROFILES = Path(__file__).with_name("profiles")
SLICED = frozenset({Process.FDM, Process.SLA})


@dataclass(frozen=True)
class Build:
    """One orientation's estimate, or why the part cannot be printed that way up."""

    orientation: str
    estimate: SliceEstimate | None
    refused: str = ""


@dataclass(frozen=True)
class ProcessSlicer:
    """The Slicer port over the real PrusaSlicer: each slice in a fresh folder under `work`, within `timeout_s`."""

    work: Path
    timeout_s: float

    async def __call__(
        self,
        triangles: Triangles,
        orientation: Orientation,
        process: Process,
        material: Material,
        *,
        part_cm3: float,
        on_progress: OnProgress | None = None,
    ) -> Build:
        await asyncio.to_thread(self.work.mkdir, parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.work, prefix="slice-") as folder:
            return await slice_in(triangles, orientation, process, material, Path(folder), timeout_s=self.timeout_s,
                                  on_progress=on_progress, part_cm3=part_cm3)  # fmt: skip


@cache
def slicer_version() -> str:
    """The slicer's name and version (`PrusaSlicer-2.5.0+UNKNOWN`): part of every checkpoint key."""
    shown = subprocess.run([slicer.BINARY, "--help"], capture_output=True, text=True, timeout=60, check=False).stdout
    found = re.search(r"^(PrusaSlicer-\S+)", shown, re.M)
    return found.group(1) if found else "unknown"


def profile_args(process: Process, material: Material) -> list[str]:
    """The slicer's --load options for a process and material; ValueError when no profile exists."""
    files = [PROFILES / f"{process.value}.ini", PROFILES / f"{process.value}-{material.value}.ini"]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise ValueError(f"no slicer profile for {process.value}/{material.value}: {', '.join(missing)}")
    return [arg for f in files for arg in ("--load", str(f))]


async def slice_in(
    triangles: Triangles,
    orientation: Orientation,
    process: Process,
    material: Material,
    work: Path,
    *,
    timeout_s: float,
    on_progress: OnProgress | None = None,
    part_cm3: float = 0.0,
) -> Build:
    """Slice the part (in mm) turned `orientation` way up; a part that does not fit that way up, or that the slicer
    refuses, is a Build with the reason. Timeouts (SlicerTimedOut) and cancellation propagate. `part_cm3`, the
    part's own volume, tells SLA supports apart from the part in the resin total."""
    turned = orientation.apply(triangles)
    if too_big := _does_not_fit(turned, PROCESSES[process].envelope_mm):
        return Build(orientation.name, None, too_big)
    model = await asyncio.to_thread(write_stl, work / f"{_slug(orientation.name)}.stl", turned)
    sla = process == Process.SLA
    output = model.with_suffix(".sl1" if sla else ".gcode")
    args = ["--export-sla" if sla else "--export-gcode", *profile_args(process, material)]
    args += ["--output", str(output), str(model)]
    try:
        await slicer.run(args, timeout_s=timeout_s, on_progress=on_progress)
        estimate = await asyncio.to_thread(_read_estimate, output, sla, part_cm3)
    except slicer.SlicerTimedOut:
        raise
    except slicer.SlicerFailed as exc:
        return Build(orientation.name, None, exc.reason)
    finally:
        output.unlink(missing_ok=True)  # G-code and layer archives run to megabytes: keep only the figures
    return Build(orientation.name, estimate)


def _does_not_fit(turned: Triangles, envelope: tuple[int, int, int]) -> str:
    """Why the part, standing this way up, does not fit the build volume (a quarter turn on the bed allowed)."""
    size = np.ptp(turned.reshape(-1, 3), axis=0)
    width, depth, height = envelope
    flat = sorted(size[:2])
    if size[2] <= height and flat[0] <= min(width, depth) and flat[1] <= max(width, depth):
        return ""
    measured = " x ".join(f"{d:.1f}" for d in size)
    volume = f"{width} x {depth} x {height} mm"
    return f"That way up the part measures {measured} mm and does not fit the {volume} build volume."


def _read_estimate(output: Path, sla: bool, part_cm3: float) -> SliceEstimate:
    if not sla:
        return slicer.parse_gcode(output)
    # The layer archive gives only the total resin: what the part itself does not take is supports and pad.
    total = slicer.parse_sl1(output)
    return SliceEstimate(total.print_seconds, total.material_cm3, round(max(total.material_cm3 - part_cm3, 0.0), 3))


def _slug(name: str) -> str:
    return "-".join(name.split())
