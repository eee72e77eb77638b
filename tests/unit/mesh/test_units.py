"""Which unit a model was drawn in: parts that read as specks in millimetres are asked about."""

from __future__ import annotations

import pytest

from system.kernel.messaging.catalogue import Unit
from system.mesh import summarize
from system.mesh.units import in_mm, likely_units
from tests.fixtures.cad import l_bracket
from tests.fixtures.meshes import cube_triangles, icosphere


def test_a_bracket_drawn_in_inches_reads_as_a_speck_and_inches_come_first() -> None:
    vertices, faces = l_bracket()  # 1.3 x 1.0 x 0.75 inch
    assert likely_units(summarize(vertices[faces], "stl-binary")) == (Unit.INCH, Unit.CM)


def test_a_part_of_printable_size_in_mm_raises_no_question() -> None:
    assert likely_units(summarize(cube_triangles(40.0), "stl-binary")) == ()
    assert likely_units(summarize(cube_triangles(8.0), "stl-binary")) == (), "small but plain: a spacer"


def test_a_small_part_tessellated_for_a_larger_size_is_asked_about() -> None:
    vertices, faces = icosphere(6, radius=4.0)  # 8 mm across with 82k triangles: ~400 per mm²
    assert likely_units(summarize(vertices[faces], "stl-binary")) == (Unit.INCH, Unit.CM)


def test_a_part_drawn_in_metres_is_offered_metres_only_when_inches_would_still_be_too_small() -> None:
    assert likely_units(summarize(cube_triangles(0.15), "stl-binary")) == (Unit.M,)


@pytest.mark.parametrize("unit", list(Unit))
def test_converting_to_mm_scales_lengths_areas_and_volumes(unit: Unit) -> None:
    drawn = summarize(cube_triangles(2.0), "stl-binary")
    real = in_mm(drawn, unit)
    assert real.volume_mm3 == pytest.approx(8.0 * unit.mm**3)
    assert real.area_mm2 == pytest.approx(24.0 * unit.mm**2)
    assert real.bbox_max == pytest.approx((2.0 * unit.mm,) * 3)
    assert (real.watertight, real.triangle_count, real.checks) == (drawn.watertight, 12, drawn.checks)
