"""The ways up a part is sliced: proper rotations, the thinnest way up, the way with least overhang."""

from __future__ import annotations

import numpy as np
import pytest

from system.pricing.orientation import (
    AXIS_ALIGNED,
    candidates,
    distinct_builds,
    least_overhang,
    overhang_area,
    smallest_height,
    up_to_z,
)
from tests.fixtures.cad import l_bracket
from tests.fixtures.meshes import cube_triangles


def pyramid(side: float = 20.0, height: float = 30.0) -> np.ndarray:
    """A square pyramid standing on its base, wound outward (flat ones overhang when turned over)."""
    h = side / 2
    base = np.array([[-h, -h, 0], [h, -h, 0], [h, h, 0], [-h, h, 0]])
    apex = np.array([0, 0, height])
    sides = [[base[i], base[(i + 1) % 4], apex] for i in range(4)]
    bottom = [[base[0], base[2], base[1]], [base[0], base[3], base[2]]]
    return np.array(sides + bottom, dtype=float)


def test_every_candidate_is_a_proper_rotation_and_no_two_share_a_way_up() -> None:
    found = candidates(l_bracket()[0][l_bracket()[1]])
    for o in found:
        assert np.allclose(o.matrix @ o.matrix.T, np.eye(3)) and np.isclose(np.linalg.det(o.matrix), 1.0), o.name
    ups = np.array([o.matrix[2] for o in found])
    assert len({tuple(np.round(u, 9)) for u in ups}) == len(found)
    assert [o.name for o in found[:6]] == [o.name for o in AXIS_ALIGNED]


def test_the_six_axis_aligned_ways_up_put_each_face_of_a_box_on_the_bed() -> None:
    box = cube_triangles(1.0) * np.array([10.0, 20.0, 30.0])
    heights = sorted(float(np.ptp(o.apply(box)[..., 2])) for o in AXIS_ALIGNED)
    assert heights == pytest.approx([10, 10, 20, 20, 30, 30])
    assert all(o.apply(box)[..., 2].min() == pytest.approx(0.0) for o in AXIS_ALIGNED)


def test_a_thin_plate_standing_on_edge_is_laid_flat_for_the_smallest_height() -> None:
    plate = (cube_triangles(1.0) * np.array([100.0, 50.0, 4.0])) @ up_to_z(np.array([1.0, 2.0, 0.5])).T
    assert np.ptp(smallest_height(plate).apply(plate)[..., 2]) == pytest.approx(4.0, rel=1e-6)


def test_an_upside_down_pyramid_is_turned_onto_its_base_for_the_least_overhang() -> None:
    upside_down = pyramid(side=40.0, height=5.0) @ up_to_z(np.array([0.0, 0.0, -1.0])).T
    assert overhang_area(upside_down, np.eye(3)) > 0, "its sides face down: it would need support"
    best = least_overhang(upside_down)
    assert overhang_area(upside_down, best.matrix) == 0.0
    assert best.apply(upside_down)[..., 2].min() == pytest.approx(0.0)


def test_a_cube_builds_the_same_on_every_side_so_it_is_sliced_once() -> None:
    cube = cube_triangles(20.0)
    assert [o.name for o in distinct_builds(cube, candidates(cube))] == ["as uploaded"]


def test_a_box_is_sliced_once_per_distinct_height() -> None:
    box = cube_triangles(1.0) * np.array([10.0, 20.0, 30.0])
    kept = distinct_builds(box, list(AXIS_ALIGNED))
    assert sorted(float(np.ptp(o.apply(box)[..., 2])) for o in kept) == pytest.approx([10, 20, 30])


def test_an_l_bracket_keeps_every_way_up_that_builds_differently() -> None:
    vertices, faces = l_bracket(width=40.0, height=30.0, thickness=6.0, depth=20.0)
    bracket = vertices[faces]  # the L drawn in the xy plane, 20 mm deep along z
    kept = [o.name for o in distinct_builds(bracket, list(AXIS_ALIGNED))]
    assert "upside down" not in kept, "the profile turned over along its depth builds the same"
    assert {"front down", "back down"} <= set(kept), "foot on the bed, or foot in the air needing support"
    assert len(kept) == 5
