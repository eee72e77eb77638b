"""The orientation search: slice each way up the part builds differently, resuming from checkpoints.

Slices run one after another (one worker, one core); each is checkpointed as soon as it is done, so a job that
is redelivered, on any worker, slices only the orientations still missing. Progress is reported as the share of
orientations done plus the running slicer's own progress within the current one. Every orientation's start and
end is reported; the slicer's own lines (a dozen a second at times) at most once every `every` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from system.pricing.build import Build
from system.pricing.checkpoints import Checkpoints, orientation_key
from system.pricing.orientation import Orientation
from system.pricing.slicer import OnProgress

StageProgress = Callable[[float, str], Awaitable[None]]  # (percent of the search, what is happening)
SliceOne = Callable[[Orientation, OnProgress], Awaitable[Build]]


@dataclass(frozen=True)
class Searched:
    """Every orientation's build, in the order searched, and how many came from checkpoints."""

    builds: tuple[Build, ...]
    resumed: int


@dataclass
class Throttle:
    """Lets a call through at most once every `every` seconds, counting from its creation."""

    every: float
    last: float = field(default_factory=time.monotonic)

    def ready(self) -> bool:
        now = time.monotonic()
        if now - self.last < self.every:
            return False
        self.last = now
        return True


async def search(
    options: Sequence[Orientation],
    slice_one: SliceOne,
    checkpoints: Checkpoints,
    key: str,
    progress: StageProgress,
    *,
    every: float = 1.0,
) -> Searched:
    """Slice every option not already checkpointed under `key`; checkpoint each new slice as it completes."""
    total = len(options)
    kept = [await checkpoints.get(orientation_key(key, option.name)) for option in options]
    resumed = sum(build is not None for build in kept)
    if resumed:
        await progress(100 * resumed / total, f"resumed: {resumed} of {total} orientations already sliced")
    builds: list[Build] = []
    for index, (option, build) in enumerate(zip(options, kept, strict=True)):
        if build is None:
            build = await slice_one(option, _within(progress, index, total, option.name, Throttle(every)))
            await checkpoints.put(orientation_key(key, option.name), build)
            await progress(100 * (index + 1) / total, f"{option.name}: sliced ({index + 1} of {total})")
        builds.append(build)
    return Searched(tuple(builds), resumed)


def _within(progress: StageProgress, index: int, total: int, name: str, throttle: Throttle) -> OnProgress:
    """The slicer's progress in one orientation, as progress of the whole search (thinned out)."""

    async def step(percent: int, stage: str) -> None:
        if throttle.ready():
            await progress(100 * (index + percent / 100) / total, f"{name} ({index + 1} of {total}): {stage}")

    return step
