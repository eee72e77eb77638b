"""Reading what PrusaSlicer writes: durations, the G-code summary, progress lines."""

from __future__ import annotations

import pytest

from system.pricing.slicer import SliceEstimate, SlicerFailed, parse_duration, parse_gcode_summary, parse_progress


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1d 10h 21m 42s", 123_702.0), ("58s", 58.0), ("2h 0m 5s", 7_205.0), ("7m 3s", 423.0), ("3h", 10_800.0)],
)
def test_durations_as_the_slicer_spells_them(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "12", "1x 2y"])
def test_anything_else_is_not_a_duration(text: str) -> None:
    with pytest.raises(ValueError, match="not a slicer duration"):
        parse_duration(text)


def test_the_summary_comments_give_time_and_material() -> None:
    tail = (
        "G1 X10 Y10\n; filament used [mm] = 1234.5\n; filament used [cm3] = 2.97\n"
        "; estimated printing time (normal mode) = 1h 2m 3s\n; estimated printing time (silent mode) = 1h 5m 0s\n"
    )
    assert parse_gcode_summary(tail) == SliceEstimate(print_seconds=3723.0, material_cm3=2.97)


def test_g_code_without_its_summary_is_a_slicer_failure() -> None:
    with pytest.raises(SlicerFailed, match="without its time and material summary"):
        parse_gcode_summary("G1 X10 Y10\n")


def test_progress_lines_and_other_output() -> None:
    assert parse_progress("70 => Infilling layers") == (70, "Infilling layers")
    assert parse_progress("  5 => Processing triangulated mesh ") == (5, "Processing triangulated mesh")
    assert parse_progress(" 61% => Rasterizing layers") == (61, "Rasterizing layers"), "SLA spells a percent sign"
    assert parse_progress("Slicing result exported to out.gcode") is None
