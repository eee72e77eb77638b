"""STL reading: binary and ASCII agree with an independent reader; each defect gets its own code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from stl import mesh as numpy_stl

from system.mesh import InvalidModel, load_stl, stl_ascii
from tests.fixtures.meshes import (
    cube_triangles,
    icosphere,
    write_ascii_stl,
    write_binary_stl,
    write_count_mismatch_binary,
    write_cube_ascii,
    write_cube_binary,
    write_nan_ascii,
    write_nan_binary,
    write_sphere_binary,
    write_truncated_binary,
)

ASCII_TRIANGLE = """facet normal 0 0 1
  outer loop
    vertex 0 0 0
    vertex 1 0 0
    vertex 0 1 0
  endloop
endfacet
"""


def invalid(path: Path) -> InvalidModel:
    with pytest.raises(InvalidModel) as caught:
        load_stl(path)
    return caught.value


def test_binary_cube_holds_the_written_triangles(tmp_path: Path) -> None:
    triangles, fmt = load_stl(write_cube_binary(tmp_path / "cube.stl", 10.0))
    assert fmt == "stl-binary"
    assert triangles.dtype == np.float64 and triangles.shape == (12, 3, 3)
    np.testing.assert_array_equal(triangles, cube_triangles(10.0))


@pytest.mark.parametrize("writer", [write_cube_binary, write_cube_ascii, write_sphere_binary])
def test_parsing_agrees_with_numpy_stl(tmp_path: Path, writer: Callable[[Path], Path]) -> None:
    path = writer(tmp_path / "model.stl")
    triangles, _ = load_stl(path)
    oracle = numpy_stl.Mesh.from_file(str(path)).vectors  # float32, as both formats hold single precision
    np.testing.assert_array_equal(triangles.astype(np.float32), oracle)


def test_ascii_and_binary_of_the_same_sphere_are_identical(tmp_path: Path) -> None:
    vertices, faces = icosphere(2)
    binary, fmt_b = load_stl(write_binary_stl(tmp_path / "b.stl", vertices[faces]))
    ascii_, fmt_a = load_stl(write_ascii_stl(tmp_path / "a.stl", vertices[faces]))
    assert (fmt_b, fmt_a) == ("stl-binary", "stl-ascii")
    np.testing.assert_array_equal(binary, ascii_)  # exact: the ASCII holds the float32 values exactly
    assert not np.array_equal(binary, vertices[faces])  # the float32 rounding really happened


def test_binary_whose_header_starts_with_solid_is_read_as_binary(tmp_path: Path) -> None:
    path = write_cube_binary(tmp_path / "solid.stl", header=b"solid cube exported by SomeCAD")
    triangles, fmt = load_stl(path)
    assert fmt == "stl-binary"
    np.testing.assert_array_equal(triangles, cube_triangles())


def test_ascii_is_case_insensitive_and_tolerates_any_whitespace(tmp_path: Path) -> None:
    text = (
        "\ufeff  SOLID Part 1\r\n\tFACET NORMAL 0 0 -1e0\r\n OUTER   LOOP\r\n"
        "  VERTEX 1.5E1 -2 +3.\r\n\tvertex .5\t0   0\r\n vertex\r\n0\r\n1e-3 2\r\n"
        "ENDLOOP ENDFACET\r\nEndSolid Part 1\r\nsolid second\n" + ASCII_TRIANGLE + "endsolid"
    )
    path = tmp_path / "messy.stl"
    path.write_bytes(text.encode("utf-8"))
    triangles, fmt = load_stl(path)
    assert fmt == "stl-ascii"
    expected = [[[15, -2, 3], [0.5, 0, 0], [0, 0.001, 2]], [[0, 0, 0], [1, 0, 0], [0, 1, 0]]]
    np.testing.assert_array_equal(triangles, np.array(expected, dtype=np.float64))


def test_ascii_split_into_many_blocks_parses_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    vertices, faces = icosphere(2)
    path = write_ascii_stl(tmp_path / "sphere.stl", vertices[faces])
    expected, _ = load_stl(path)
    monkeypatch.setattr(stl_ascii, "BLOCK", 1000)  # a few facets per regex pass instead of 16 MiB
    blocked, _ = load_stl(path)
    np.testing.assert_array_equal(blocked, expected)
    assert len(blocked) == len(faces)


def test_truncated_binary_is_reported_as_cut_off(tmp_path: Path) -> None:
    error = invalid(write_truncated_binary(tmp_path / "cut.stl"))
    assert error.code == "truncated"
    assert "declares 12 triangles" in error.detail and "triangle 6" in error.detail


@pytest.mark.parametrize("declared", [14, 10, 0])
def test_whole_records_but_wrong_count_is_a_count_mismatch(tmp_path: Path, declared: int) -> None:
    error = invalid(write_count_mismatch_binary(tmp_path / "count.stl", declared))
    assert error.code == "triangle-count-mismatch"
    assert error.detail == f"The STL header declares {declared} triangles but the file holds room for 12."


def test_stray_bytes_after_the_declared_triangles_are_a_count_mismatch(tmp_path: Path) -> None:
    path = write_cube_binary(tmp_path / "stray.stl")
    path.write_bytes(path.read_bytes() + b"\x00" * 7)
    error = invalid(path)
    assert error.code == "triangle-count-mismatch"
    assert "room for 12 and 7 stray bytes" in error.detail


def test_zero_declared_triangles_is_no_triangles(tmp_path: Path) -> None:
    error = invalid(write_binary_stl(tmp_path / "none.stl", np.empty((0, 3, 3))))
    assert error.code == "no-triangles"


def test_nan_in_binary_names_the_triangle(tmp_path: Path) -> None:
    error = invalid(write_nan_binary(tmp_path / "nan.stl", triangle=3))
    assert error.code == "non-finite-coordinates"
    assert "Triangle 4 of 12" in error.detail


def test_nan_in_ascii_names_the_facet_and_line(tmp_path: Path) -> None:
    error = invalid(write_nan_ascii(tmp_path / "nan.stl", triangle=3))
    assert error.code == "non-finite-coordinates"
    assert "Facet 4 (line 23)" in error.detail  # "solid" is line 1; each facet takes 7 lines


def test_infinity_in_ascii_is_non_finite(tmp_path: Path) -> None:
    path = tmp_path / "inf.stl"
    path.write_text("solid x\n" + ASCII_TRIANGLE.replace("vertex 1 0 0", "vertex -Inf 0 0") + "endsolid x\n")
    assert invalid(path).code == "non-finite-coordinates"


@pytest.mark.parametrize(
    ("broken", "shown"),
    [
        ("vertex 1 0 0", "vertex 1.0.0 0 0"),  # not a number
        ("vertex 1 0 0", "vertex 1 0"),  # a coordinate missing
        ("outer loop", "outer lop"),  # misspelt keyword
        ("endloop", ""),  # a keyword missing
    ],
)
def test_broken_facet_is_malformed_naming_its_first_line(tmp_path: Path, broken: str, shown: str) -> None:
    body = ASCII_TRIANGLE.replace(broken, shown)
    path = tmp_path / "bad.stl"
    path.write_text("solid x\n" + ASCII_TRIANGLE + body + ASCII_TRIANGLE + "endsolid x\n")
    error = invalid(path)
    assert error.code == "malformed-ascii"
    # The whole facet fails to match, so the report points at its first line (line 9, after 1 + 7 lines).
    assert error.detail.startswith("Line 9 of the ASCII STL is not valid STL: 'facet normal 0 0 1'")


def test_garbage_between_facets_is_malformed_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "junk.stl"
    path.write_text("solid x\n" + ASCII_TRIANGLE + "hello there\n" + ASCII_TRIANGLE + "endsolid x\n")
    error = invalid(path)
    assert error.code == "malformed-ascii"
    assert error.detail.startswith("Line 9 of the ASCII STL is not valid STL: 'hello there'")


def test_malformed_line_is_found_in_a_later_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "late.stl"
    path.write_text("solid x\n" + ASCII_TRIANGLE * 40 + "oops\n" + ASCII_TRIANGLE * 3 + "endsolid x\n")
    monkeypatch.setattr(stl_ascii, "BLOCK", 500)
    error = invalid(path)
    assert error.code == "malformed-ascii"
    assert error.detail.startswith(f"Line {2 + 40 * 7} of the ASCII STL is not valid STL: 'oops'")


@pytest.mark.parametrize("cut", [0.5, 0.999])
def test_ascii_cut_off_inside_a_facet_is_truncated(tmp_path: Path, cut: float) -> None:
    text = write_cube_ascii(tmp_path / "cube.stl").read_text()
    end = text.index("endsolid")
    path = tmp_path / "cut.stl"
    path.write_text(text[: int(end * cut)])
    error = invalid(path)
    assert error.code == "truncated"
    assert "part-way through the facet at line" in error.detail


def test_ascii_without_endsolid_is_truncated(tmp_path: Path) -> None:
    path = tmp_path / "noend.stl"
    path.write_text("solid x\n" + ASCII_TRIANGLE)
    error = invalid(path)
    assert error.code == "truncated"
    assert "without 'endsolid'" in error.detail


def test_ascii_without_facets_has_no_triangles(tmp_path: Path) -> None:
    path = tmp_path / "empty-solid.stl"
    path.write_text("solid nothing\nendsolid nothing\n")
    assert invalid(path).code == "no-triangles"


@pytest.mark.parametrize("content", [b"hello world, not a model\n", b"\x00\x01" * 20, b"solid but binary\x00\x01"])
def test_short_non_models_are_unrecognised(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.stl"
    path.write_bytes(content)
    error = invalid(path)
    assert error.code == "unrecognised-format"
    assert f"This {len(content)}-byte file is not a 3D model" in error.detail


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.stl"
    path.write_bytes(b"")
    assert invalid(path).code == "empty-file"
