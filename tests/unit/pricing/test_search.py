"""The orientation search on a fake slicer and an in-memory checkpoint store: resume, checkpoint, progress."""

from __future__ import annotations

import numpy as np
import pytest

from system.kernel.messaging.catalogue import Material, Process
from system.pricing.build import Build
from system.pricing.checkpoints import orientation_key
from system.pricing.orientation import AXIS_ALIGNED, Orientation
from system.pricing.search import SliceOne, search
from system.pricing.slicer import OnProgress
from tests.fixtures.cad import l_bracket
from tests.unit.pricing.fakes import FakeSlicer, MemoryCheckpoints

KEY = "search-key"
_VERTICES, _FACES = l_bracket(width=40.0, height=30.0, thickness=6.0, depth=20.0)
BRACKET = _VERTICES[_FACES]
OPTIONS = list(AXIS_ALIGNED[:5])


class Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[float, str]] = []

    async def __call__(self, percent: float, stage: str) -> None:
        self.seen.append((percent, stage))


def slicing(slicer: FakeSlicer) -> SliceOne:
    async def slice_one(option: Orientation, on_progress: OnProgress) -> Build:
        return await slicer(BRACKET, option, Process.FDM, Material.PLA, part_cm3=5.0, on_progress=on_progress)

    return slice_one


async def test_every_orientation_is_sliced_and_checkpointed_in_order() -> None:
    slicer, store, progress = FakeSlicer(), MemoryCheckpoints(), Recorder()
    found = await search(OPTIONS, slicing(slicer), store, KEY, progress, every=0)
    assert [b.orientation for b in found.builds] == [o.name for o in OPTIONS] == slicer.sliced
    assert found.resumed == 0
    assert set(store.kept) == {orientation_key(KEY, o.name) for o in OPTIONS}
    percents = [p for p, _ in progress.seen]
    assert percents == sorted(percents) and percents[-1] == 100.0
    assert (100.0, "left side down: sliced (5 of 5)") in progress.seen


async def test_a_redelivered_search_slices_only_what_no_checkpoint_holds() -> None:
    store = MemoryCheckpoints()
    first = await search(OPTIONS, slicing(FakeSlicer()), store, KEY, Recorder())
    for option in OPTIONS[2:]:  # the worker died after two orientations
        del store.kept[orientation_key(KEY, option.name)]
    slicer, progress = FakeSlicer(), Recorder()
    again = await search(OPTIONS, slicing(slicer), store, KEY, progress)
    assert slicer.sliced == [o.name for o in OPTIONS[2:]]
    assert again.resumed == 2 and again.builds == first.builds
    assert progress.seen[0] == (40.0, "resumed: 2 of 5 orientations already sliced")


async def test_a_slice_that_fails_leaves_the_earlier_ones_checkpointed() -> None:
    store, slicer = MemoryCheckpoints(), FakeSlicer()

    async def third_crashes(option: Orientation, on_progress: OnProgress) -> Build:
        if option.name == OPTIONS[2].name:
            raise RuntimeError("worker lost")
        return await slicing(slicer)(option, on_progress)

    with pytest.raises(RuntimeError):
        await search(OPTIONS, third_crashes, store, KEY, Recorder())
    assert set(store.kept) == {orientation_key(KEY, o.name) for o in OPTIONS[:2]}


async def test_another_key_shares_nothing() -> None:
    store = MemoryCheckpoints()
    await search(OPTIONS, slicing(FakeSlicer()), store, KEY, Recorder())
    slicer = FakeSlicer()
    found = await search(OPTIONS, slicing(slicer), store, "another-model", Recorder())
    assert found.resumed == 0 and len(slicer.sliced) == len(OPTIONS)


def test_the_bracket_fixture_is_what_the_tests_above_assume() -> None:
    assert np.ptp(BRACKET.reshape(-1, 3), axis=0) == pytest.approx([40.0, 30.0, 20.0])


async def test_the_slicer_s_own_lines_are_thinned_out_but_every_orientation_is_reported() -> None:
    progress = Recorder()
    await search(OPTIONS, slicing(FakeSlicer()), MemoryCheckpoints(), KEY, progress, every=3600)
    assert [stage for _, stage in progress.seen] == [f"{o.name}: sliced ({i} of 5)" for i, o in enumerate(OPTIONS, 1)]
