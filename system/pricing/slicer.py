"""PrusaSlicer as a child process: slice one oriented model, report its progress, stop it on time.

The slicer computes what a quote needs and geometry cannot: how long the printer runs (perimeters, infill,
travel, supports) and how much material goes in, supports included. It runs headless from the command line
(Debian's `prusa-slicer` 2.5) in its own process group, so a timeout or a cancellation kills it and everything
it started; its progress lines (`70 => Infilling layers`) are passed on as they come.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import re
import signal
import zipfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

BINARY = "prusa-slicer"
PROGRESS = re.compile(r"^\s*(\d{1,3})%? => (.+?)\s*$")  # FFF prints "70 => ...", SLA "70% => ..."
DURATION = re.compile(r"(?:(\d+)d\s*)?(?:(\d+)h\s*)?(?:(\d+)m\s*)?(?:(\d+)s)?")
PRINT_TIME = re.compile(r"^; estimated printing time \(normal mode\) = (.+)$", re.M)
FILAMENT_CM3 = re.compile(r"^; filament used \[cm3\] = ([0-9.]+)", re.M)
FILAMENT_MM = re.compile(r"^; filament used \[mm\] = ([0-9.]+)", re.M)
EXTRUDED = re.compile(r"^G1 [^;\n]*E(-?[0-9.]+)", re.M)
PR_SET_PDEATHSIG = 1  # prctl(2)
TAIL_BYTES = 64 << 10  # the summary comments PrusaSlicer writes at the end of the G-code

OnProgress = Callable[[int, str], Awaitable[None]]


class SlicerFailed(RuntimeError):
    """The slicer could not slice the model; `reason` is a sentence for the customer or the operator."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SlicerTimedOut(SlicerFailed):
    """The slicer ran past its time limit and was killed."""


@dataclass(frozen=True)
class SliceEstimate:
    """What the slicer says a build of one part takes."""

    print_seconds: float
    material_cm3: float  # the part and its supports
    support_cm3: float = 0.0  # of which supports (and, for SLA, the pad)


def parse_duration(text: str) -> float:
    """Seconds in a PrusaSlicer duration such as `1d 10h 21m 42s` or `58s`."""
    match = DURATION.fullmatch(text.strip())
    if not match or not any(match.groups()):
        raise ValueError(f"not a slicer duration: {text!r}")
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return float(((days * 24 + hours) * 60 + minutes) * 60 + seconds)


def parse_gcode_summary(tail: str) -> SliceEstimate:
    """The estimate in the summary comments at the end of a G-code file."""
    time_found, material_found = PRINT_TIME.search(tail), FILAMENT_CM3.search(tail)
    if not time_found or not material_found:
        raise SlicerFailed("The slicer wrote G-code without its time and material summary.")
    return SliceEstimate(parse_duration(time_found.group(1)), float(material_found.group(1)))


def support_share(gcode: str) -> float:
    """The share of the filament laid down in the `;TYPE:Support material...` sections of relative-E G-code."""
    sections = gcode.split(";TYPE:")
    support = sum(_extruded(s) for s in sections[1:] if s.startswith("Support material"))
    total = sum(_extruded(s) for s in sections)
    return support / total if total > 0 else 0.0


def parse_gcode(path: Path) -> SliceEstimate:
    """Time, material and the supports' part of it, from a G-code file the profiles wrote with relative E."""
    text = path.read_text(errors="replace")
    summary = parse_gcode_summary(text[-TAIL_BYTES:])
    support = round(summary.material_cm3 * support_share(text), 3)
    return SliceEstimate(summary.print_seconds, summary.material_cm3, support)


def _extruded(section: str) -> float:
    return sum(float(e) for e in EXTRUDED.findall(section))


def parse_sl1(path: Path) -> SliceEstimate:
    """The estimate in an SLA job archive: config.ini's printTime (s) and usedMaterial (ml)."""
    try:
        with zipfile.ZipFile(path) as archive:
            config = archive.read("config.ini").decode(errors="replace")
    except (OSError, KeyError, zipfile.BadZipFile) as exc:
        raise SlicerFailed(f"The slicer's SLA job could not be read: {exc}") from None
    values = dict(line.split(" = ", 1) for line in config.splitlines() if " = " in line)
    try:
        return SliceEstimate(float(values["printTime"]), float(values["usedMaterial"]))
    except (KeyError, ValueError):
        raise SlicerFailed("The slicer's SLA job has no print time or material.") from None


def parse_progress(line: str) -> tuple[int, str] | None:
    """(percent, stage) from a progress line, or None for any other output."""
    found = PROGRESS.match(line)
    return (min(int(found.group(1)), 100), found.group(2)) if found else None


async def run(args: Sequence[str], *, timeout_s: float, on_progress: OnProgress | None = None) -> str:
    """Run the slicer with `args`; its last output lines. Raise SlicerTimedOut past `timeout_s` (the process
    group is killed), SlicerFailed when it exits non-zero; a cancelled caller kills it too."""
    # Into a pipe the slicer's output is block-buffered: progress would arrive all at once at the end. stdbuf
    # (coreutils) makes it line-buffered, so each progress line comes as the slicer writes it.
    process = await asyncio.create_subprocess_exec(
        "stdbuf", "-oL", "-eL", BINARY, *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, start_new_session=True,
        preexec_fn=_die_with_parent,
    )  # fmt: skip
    lines: list[str] = []
    highest = -1

    async def follow() -> None:
        nonlocal highest
        assert process.stdout is not None
        async for raw in process.stdout:
            line = raw.decode(errors="replace").rstrip()
            lines[:] = [*lines[-40:], line]
            step = parse_progress(line)
            if step and step[0] > highest and on_progress is not None:  # its stages overlap: never go back
                highest = step[0]
                await on_progress(*step)
        await process.wait()

    try:
        await asyncio.wait_for(follow(), timeout_s)
    except TimeoutError:
        raise SlicerTimedOut(f"Slicing took longer than {timeout_s:.0f} s and was stopped.") from None
    finally:
        _kill_group(process)
        with contextlib.suppress(ProcessLookupError):
            await process.wait()
    if process.returncode != 0:
        raise SlicerFailed(_failure(lines, process.returncode))
    return "\n".join(lines)


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL it when the worker dies, even by kill -9 (its own session shields it from
    the worker's group, so nothing else would), rather than leave an orphan slicing for nobody."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:  # the worker died before the line above: nobody will read the result
        os._exit(1)


def _kill_group(process: asyncio.subprocess.Process) -> None:
    """SIGKILL the slicer's process group if anything of it still runs."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def _failure(lines: list[str], code: int | None) -> str:
    errors = [line for line in lines if "error" in line.lower() or "could not" in line.lower()]
    said = (errors or lines or ["(no output)"])[-1].strip()
    return f"The slicer stopped with exit code {code}: {said}"
