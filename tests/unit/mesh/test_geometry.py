"""Geometry: exact answers for the cube, trimesh as the oracle for a curved mesh, invariants by property."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh
from hypothesis import given, settings
from hypothesis import strategies as st

from system.mesh import InvalidModel, MeshChecks, MeshSummary, load_stl, summarize
from system.mesh.geometry import sort_order, vertex_ids
from tests.fixtures.meshes import (
    CUBE_CORNERS,
    CUBE_FACES,
    cube_triangles,
    icosphere,
    write_open_box_binary,
    write_sphere_binary,
)


def test_cube_summary_is_exact() -> None:
    summary = summarize(cube_triangles(10.0), "stl-binary")
    assert summary == MeshSummary(
        format="stl-binary",
        triangle_count=12,
        volume_mm3=1000.0,
        area_mm2=600.0,
        bbox_min=(0.0, 0.0, 0.0),
        bbox_max=(10.0, 10.0, 10.0),
        watertight=True,
        shells=1,
        checks=MeshChecks(),
    )


def test_cube_fixture_is_wound_outwards_as_trimesh_sees_it() -> None:
    cube = trimesh.Trimesh(CUBE_CORNERS * 10, CUBE_FACES, process=False)
    assert cube.is_winding_consistent and cube.volume == pytest.approx(1000.0)  # positive: outward normals


def test_volume_does_not_depend_on_winding_direction() -> None:
    inside_out = cube_triangles(3.0)[:, ::-1]  # every triangle reversed: signed volume is negative
    assert summarize(inside_out, "3mf").volume_mm3 == pytest.approx(27.0, rel=1e-12)


@pytest.mark.parametrize("subdivisions", [1, 3])
def test_icosphere_matches_trimesh(tmp_path: Path, subdivisions: int) -> None:
    path = write_sphere_binary(tmp_path / "sphere.stl", subdivisions=subdivisions, radius=25.0)
    triangles, fmt = load_stl(path)
    ours = summarize(triangles, fmt)
    oracle = trimesh.load_mesh(path)
    assert ours.triangle_count == len(oracle.faces)
    assert ours.volume_mm3 == pytest.approx(oracle.volume, rel=1e-6)
    assert ours.area_mm2 == pytest.approx(oracle.area, rel=1e-6)
    np.testing.assert_allclose([ours.bbox_min, ours.bbox_max], oracle.bounds, rtol=1e-12)
    assert ours.watertight is oracle.is_watertight is True
    # and the sphere really is round: within 2% of 4/3 pi r^3 even at the coarse subdivision
    assert ours.volume_mm3 == pytest.approx(4 / 3 * np.pi * 25.0**3, rel=0.2 if subdivisions == 1 else 0.02)


def test_open_box_is_not_watertight_for_us_or_trimesh(tmp_path: Path) -> None:
    path = write_open_box_binary(tmp_path / "open.stl")
    triangles, fmt = load_stl(path)
    summary = summarize(triangles, fmt)
    assert summary.watertight is trimesh.load_mesh(path).is_watertight is False
    assert summary.triangle_count == 10 and summary.area_mm2 == 500.0


def test_edge_shared_by_four_triangles_is_not_watertight() -> None:
    cube = cube_triangles(1.0)
    neighbour = cube + np.array([1.0, 1.0, 0.0])
    pair = np.concatenate([cube, neighbour])  # two closed cubes meeting along one edge
    assert summarize(neighbour, "stl-binary").watertight
    assert not summarize(pair, "stl-binary").watertight

    def soup(triangles: np.ndarray) -> trimesh.Trimesh:  # trimesh merges the repeated vertices itself
        return trimesh.Trimesh(triangles.reshape(-1, 3), np.arange(triangles.size // 3).reshape(-1, 3))

    assert soup(neighbour).is_watertight and not soup(pair).is_watertight


def test_negative_zero_counts_as_the_same_vertex() -> None:
    flipped = cube_triangles(2.0)
    flipped[0][flipped[0] == 0.0] = -0.0  # one triangle spells its zeros as -0.0: same value, other bits
    assert np.signbit(flipped).any()
    assert summarize(flipped, "stl-binary").watertight


def test_vertex_ids_stay_exact_when_every_hash_collides() -> None:
    vertices, faces = icosphere(2)
    points = vertices[faces].reshape(-1, 3)
    ids, count = vertex_ids(points)
    forced, forced_count = vertex_ids(points, hashes=np.zeros(len(points), dtype=np.uint64))
    assert count == forced_count == len(vertices)
    # the same partition: equal ids exactly where the coordinates are equal
    _, expected = np.unique(points, axis=0, return_inverse=True)
    for labels in (ids, forced):
        pairs = np.unique(np.c_[labels, expected.ravel()], axis=0)
        assert len(pairs) == len(vertices)


@pytest.mark.parametrize("top_bits_collide", [False, True])
def test_vertex_ids_stay_exact_when_only_the_top_bits_of_hashes_collide(top_bits_collide: bool) -> None:
    vertices, faces = icosphere(2)
    points = vertices[faces].reshape(-1, 3)
    _, expected = np.unique(points, axis=0, return_inverse=True)
    # Distinct hashes per distinct vertex that share their top bits (the fast sort's key), or do not.
    low = expected.ravel().astype(np.uint64)
    hashes = low if top_bits_collide else low << np.uint64(40)
    ids, count = vertex_ids(points, hashes=hashes)
    assert count == len(vertices)
    assert len(np.unique(np.c_[ids, expected.ravel()], axis=0)) == len(vertices)


@pytest.mark.parametrize("key_bits", [10, 40, 63])  # packed with the index into one word, or not (63)
def test_sort_order_is_a_stable_argsort(key_bits: int) -> None:
    rng = np.random.default_rng(7)
    keys = rng.integers(0, 1 << min(key_bits, 12), 5000, dtype=np.uint64) << np.uint64(key_bits - min(key_bits, 12))
    order, sorted_keys = sort_order(keys, key_bits)
    assert np.array_equal(order, np.argsort(keys, kind="stable"))  # equal keys stay in index order
    assert np.array_equal(sorted_keys, np.sort(keys))


def test_summarize_rejects_no_triangles_and_bad_shapes() -> None:
    with pytest.raises(InvalidModel) as caught:
        summarize(np.empty((0, 3, 3)), "stl-binary")
    assert caught.value.code == "no-triangles"
    with pytest.raises(ValueError, match="expected an"):
        summarize(np.zeros((4, 3)), "stl-binary")


@settings(max_examples=200, deadline=None)
@given(
    scale=st.floats(min_value=1e-2, max_value=1e3),
    shift=st.tuples(*[st.floats(min_value=-1e4, max_value=1e4)] * 3),
)
def test_cube_volume_scales_cubically_and_bbox_follows(scale: float, shift: tuple[float, float, float]) -> None:
    summary = summarize(cube_triangles(1.0) * scale + np.array(shift), "stl-binary")
    assert summary.volume_mm3 == pytest.approx(scale**3, rel=1e-9)
    assert summary.area_mm2 == pytest.approx(6 * scale**2, rel=1e-9)
    np.testing.assert_allclose(summary.bbox_min, shift, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(summary.bbox_max, np.array(shift) + scale, rtol=1e-12, atol=1e-9)
    assert summary.watertight
