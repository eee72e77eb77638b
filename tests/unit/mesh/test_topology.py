"""Geometry that survives real exports: welding, shells, winding, cavities, defects; trimesh as the oracle."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh

from system.mesh import load_stl, summarize
from system.mesh.geometry import vertex_ids
from tests.fixtures.cad import cad_export, flip_some, jitter, l_bracket, moebius, torus
from tests.fixtures.meshes import cube_triangles, icosphere, write_binary_stl


def oracle(vertices: np.ndarray, faces: np.ndarray) -> trimesh.Trimesh:
    """trimesh's view of a clean mesh (its own vertex merging and checks)."""
    return trimesh.Trimesh(vertices, faces, process=True)


def test_a_torus_matches_trimesh_and_the_formula() -> None:
    vertices, faces = torus()
    ours, theirs = summarize(vertices[faces], "stl-binary"), oracle(vertices, faces)
    assert theirs.is_watertight and theirs.is_winding_consistent and theirs.volume > 0
    assert ours.volume_mm3 == pytest.approx(theirs.volume, rel=1e-12)
    assert ours.area_mm2 == pytest.approx(theirs.area, rel=1e-12)
    assert ours.watertight and ours.shells == 1 and ours.checks.flipped_faces == 0
    assert ours.volume_mm3 == pytest.approx(2 * np.pi**2 * 30 * 8**2, rel=0.02)


def test_corners_that_differ_in_the_last_bits_are_welded_and_the_part_is_watertight() -> None:
    vertices, faces = icosphere(3, radius=20.0)
    soup = jitter(vertices[faces], relative=1e-7)
    assert vertex_ids(soup.reshape(-1, 3))[1] == soup.size // 3, "no two corners coincide exactly any more"
    summary = summarize(soup, "stl-binary")
    assert summary.watertight, "the exact check alone would call it open"
    assert summary.checks.welded_vertices > 0 and summary.shells == 1
    assert summary.volume_mm3 == pytest.approx(oracle(vertices, faces).volume, rel=1e-5)


def test_corners_farther_apart_than_the_tolerance_stay_apart() -> None:
    vertices, faces = icosphere(2, radius=20.0)
    summary = summarize(jitter(vertices[faces], relative=1e-3), "stl-binary")
    assert not summary.watertight, "a 1e-3 gap is a real gap, not CAD rounding"


def test_an_inch_drawn_cad_bracket_is_watertight_and_measures_as_trimesh_measures_the_clean_part(
    tmp_path: Path,
) -> None:
    vertices, faces = l_bracket()
    path = write_binary_stl(tmp_path / "bracket.stl", cad_export(vertices, faces))
    triangles, fmt = load_stl(path)
    exact_corners = vertex_ids(triangles.reshape(-1, 3))[1]
    assert exact_corners > len(vertices), "the export really split corners (else this test proves nothing)"
    assert not trimesh.load_mesh(path, process=False).is_watertight
    summary = summarize(triangles, fmt)
    assert summary.watertight and summary.checks.welded_vertices > 0
    clean = oracle(vertices, faces)  # inches
    assert summary.volume_mm3 == pytest.approx(clean.volume, rel=1e-6)
    assert summary.area_mm2 == pytest.approx(clean.area, rel=1e-6)


def test_a_shell_wound_inside_out_adds_its_volume_instead_of_taking_it_away() -> None:
    a_vertices, a_faces = icosphere(3, radius=10.0)
    b_vertices = a_vertices * 0.6 + [40.0, 0, 0]
    soup = np.concatenate([a_vertices[a_faces], b_vertices[a_faces[:, ::-1]]])
    expected = oracle(a_vertices, a_faces).volume + oracle(b_vertices, a_faces).volume
    naive = trimesh.Trimesh(soup.reshape(-1, 3), np.arange(soup.size // 3).reshape(-1, 3), process=True).volume
    assert naive == pytest.approx(expected * (1 - 0.216) / (1 + 0.216), rel=1e-6), "the bug we fix: A - B"
    summary = summarize(soup, "stl-binary")
    assert summary.volume_mm3 == pytest.approx(expected, rel=1e-12)
    assert (summary.shells, summary.checks.inverted_shells, summary.checks.cavities) == (2, 1, 0)


def test_faces_wound_against_their_neighbours_are_turned_round() -> None:
    vertices, faces = icosphere(3, radius=15.0)
    mixed, reversed_count = flip_some(faces, 0.3)
    fixed = oracle(vertices, mixed)
    trimesh.repair.fix_normals(fixed)
    summary = summarize(vertices[mixed], "stl-binary")
    assert summary.volume_mm3 == pytest.approx(fixed.volume, rel=1e-12)
    assert summary.volume_mm3 == pytest.approx(oracle(vertices, faces).volume, rel=1e-12)
    assert summary.checks.flipped_faces in (reversed_count, len(faces) - reversed_count)


@pytest.mark.parametrize("inner_wound_outward", [False, True])
def test_a_shell_inside_another_is_a_cavity_whichever_way_it_is_wound(inner_wound_outward: bool) -> None:
    outer = cube_triangles(10.0)
    inner = cube_triangles(2.0) + 4.0
    soup = np.concatenate([outer, inner if inner_wound_outward else inner[:, ::-1]])
    summary = summarize(soup, "stl-binary")
    assert summary.volume_mm3 == pytest.approx(1000.0 - 8.0, rel=1e-12)
    assert (summary.shells, summary.checks.cavities) == (2, 1)
    assert summary.checks.inverted_shells == int(inner_wound_outward)
    assert summary.watertight and summary.checks.warnings() == ()


def test_shells_that_cross_each_other_are_reported_as_self_intersection() -> None:
    soup = np.concatenate([cube_triangles(10.0), cube_triangles(10.0) + 5.0])
    summary = summarize(soup, "stl-binary")
    assert summary.checks.crossing_shells == 2
    assert "self-intersection" in summary.checks.warnings()[0]
    apart = summarize(np.concatenate([cube_triangles(10.0), cube_triangles(10.0) + 20.0]), "stl-binary")
    assert apart.checks.crossing_shells == 0 and apart.volume_mm3 == pytest.approx(2000.0)


def test_degenerate_and_duplicate_faces_are_counted_and_set_aside_as_trimesh_counts_them() -> None:
    cube = cube_triangles(10.0)
    sliver = np.array([[[0.0, 0, 0], [0.0, 0, 0], [10.0, 0, 0]]])  # two corners in one place
    soup = np.concatenate([cube, cube[[0, 5]], sliver])
    summary = summarize(soup, "stl-binary")
    assert (summary.checks.duplicate_faces, summary.checks.degenerate_faces) == (2, 1)
    assert summary.volume_mm3 == pytest.approx(1000.0) and summary.area_mm2 == pytest.approx(600.0)
    assert summary.watertight and summary.triangle_count == 15
    theirs = trimesh.Trimesh(soup.reshape(-1, 3), np.arange(45).reshape(-1, 3), process=True)
    assert len(theirs.faces) - theirs.unique_faces().sum() == 2
    assert (~theirs.nondegenerate_faces()).sum() == 1


def test_a_moebius_strip_cannot_be_wound_consistently_and_says_so() -> None:
    summary = summarize(moebius(), "stl-binary")
    assert not summary.checks.orientable and not summary.watertight
    assert any("Möbius" in w for w in summary.checks.warnings())
