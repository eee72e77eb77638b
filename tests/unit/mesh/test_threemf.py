"""3MF reading: indexed meshes become triangles in millimetres; bombs and hostile XML are refused early."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import IO

import numpy as np
import pytest

from system.mesh import InvalidModel, load_3mf
from system.mesh.threemf import _read_bounded
from tests.fixtures.meshes import (
    CUBE_CORNERS,
    CUBE_FACES,
    cube_triangles,
    icosphere,
    model_xml,
    write_3mf,
    write_cube_3mf,
    write_zip_bomb_3mf,
)

CUBE_XML = model_xml([(CUBE_CORNERS * 10, CUBE_FACES)])


class ReadLog(io.BytesIO):
    """A package in memory that remembers which byte ranges were read from it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.ranges: list[range] = []

    def read(self, size: int | None = -1) -> bytes:
        start = self.tell()
        data = super().read(size)
        self.ranges.append(range(start, start + len(data)))
        return data

    def bytes_read_of(self, part: range) -> int:
        return sum(len(range(max(r.start, part.start), min(r.stop, part.stop))) for r in self.ranges)


def invalid(path: Path | IO[bytes], **limits: int) -> InvalidModel:
    with pytest.raises(InvalidModel) as caught:
        load_3mf(path, **limits)
    return caught.value


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_zip_bomb_3mf(tmp_path_factory.mktemp("bomb") / "bomb.3mf", megabytes=50)


def test_cube_package_gives_the_cube_triangles(tmp_path: Path) -> None:
    triangles = load_3mf(write_cube_3mf(tmp_path / "cube.3mf"))
    assert triangles.dtype == np.float64
    np.testing.assert_array_equal(triangles, cube_triangles(10.0))


@pytest.mark.parametrize(("unit", "factor"), [("micron", 0.001), ("centimeter", 10.0), ("inch", 25.4)])
def test_units_are_converted_to_millimetres(tmp_path: Path, unit: str, factor: float) -> None:
    triangles = load_3mf(write_cube_3mf(tmp_path / "cube.3mf", 2.0, unit=unit))
    np.testing.assert_allclose(triangles, cube_triangles(2.0) * factor, rtol=1e-15)


def test_several_objects_are_concatenated(tmp_path: Path) -> None:
    vertices, faces = icosphere(1)
    xml = model_xml([(CUBE_CORNERS, CUBE_FACES), (vertices, faces)])
    triangles = load_3mf(write_3mf(tmp_path / "two.3mf", xml))
    np.testing.assert_array_equal(triangles, np.concatenate([cube_triangles(1.0), vertices[faces]]))


def test_model_part_is_found_through_the_package_relationships(tmp_path: Path) -> None:
    path = write_3mf(tmp_path / "moved.3mf", CUBE_XML, part="3D/Objects/part.model")
    np.testing.assert_array_equal(load_3mf(path), cube_triangles(10.0))


def test_zip_bomb_is_refused_before_decompressing(zip_bomb: Path) -> None:
    assert zip_bomb.stat().st_size < 200_000
    with zipfile.ZipFile(zip_bomb) as archive:
        model = archive.getinfo("3D/3dmodel.model")
    package = ReadLog(zip_bomb.read_bytes())

    error = invalid(package)

    assert error.code == "zip-bomb"
    assert "3D/3dmodel.model" in error.detail and "fold" in error.detail
    compressed = range(model.header_offset, model.header_offset + model.compress_size)
    assert package.bytes_read_of(compressed) == 0, "only the central directory is read, never the part itself"
    assert 0 < sum(map(len, package.ranges)) < 1_000


def test_too_many_entries_is_a_zip_bomb(tmp_path: Path) -> None:
    path = write_cube_3mf(tmp_path / "cube.3mf")
    with zipfile.ZipFile(path, "a") as archive:
        for n in range(10):
            archive.writestr(f"Metadata/{n}.txt", "x")
    error = invalid(path, max_entries=12)
    assert error.code == "zip-bomb" and "holds 13 files" in error.detail


def test_total_unpacked_size_over_the_limit_is_too_large(tmp_path: Path) -> None:
    error = invalid(write_cube_3mf(tmp_path / "cube.3mf"), max_uncompressed=1000)
    assert error.code == "too-large" and "the limit is 1000 bytes" in error.detail


def test_bounded_read_stops_past_the_limit_whatever_was_declared() -> None:
    assert _read_bounded(io.BytesIO(b"x" * 100), 100, "part") == b"x" * 100
    with pytest.raises(InvalidModel) as caught:
        _read_bounded(io.BytesIO(b"x" * 101), 100, "part")
    assert caught.value.code == "zip-bomb"


@pytest.mark.parametrize(
    "prolog",
    [
        '<!DOCTYPE model [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
        '<!DOCTYPE model SYSTEM "file:///etc/passwd">',
    ],
)
def test_dtd_and_entities_are_refused(tmp_path: Path, prolog: str) -> None:
    xml = CUBE_XML.replace("?>\n", "?>\n" + prolog, 1)
    assert prolog in xml
    error = invalid(write_3mf(tmp_path / "dtd.3mf", xml))
    assert error.code == "invalid-3mf" and "DOCTYPE" in error.detail


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('v3="7"', 'v3="8"'), "refers to vertex 8, but the mesh has only 8 vertices"),
        (('v1="0"', 'v1="-1"'), "refers to vertex -1"),
        (('x="0.0"', 'x="zero"'), "non-numeric value"),
        (('x="0.0" ', ""), "lacks an attribute"),
        (('unit="millimeter"', 'unit="furlong"'), "unknown unit 'furlong'"),
        (("</model>", ""), "not well-formed XML"),
    ],
)
def test_broken_model_xml_is_invalid_3mf(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    old, new = change
    assert old in CUBE_XML
    error = invalid(write_3mf(tmp_path / "bad.3mf", CUBE_XML.replace(old, new, 1)))
    assert error.code == "invalid-3mf"
    assert expected in error.detail


def test_nan_vertex_is_non_finite(tmp_path: Path) -> None:
    error = invalid(write_3mf(tmp_path / "nan.3mf", CUBE_XML.replace('x="10.0"', 'x="NaN"', 1)))
    assert error.code == "non-finite-coordinates"


def test_mesh_without_triangles(tmp_path: Path) -> None:
    xml = model_xml([(CUBE_CORNERS, np.empty((0, 3), dtype=np.int64))])
    assert invalid(write_3mf(tmp_path / "none.3mf", xml)).code == "no-triangles"


def test_package_without_a_model_part(tmp_path: Path) -> None:
    path = tmp_path / "nomodel.3mf"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "no model here")
    error = invalid(path)
    assert error.code == "invalid-3mf" and "'3D/3dmodel.model'" in error.detail


def test_damaged_zip_is_invalid_3mf(tmp_path: Path) -> None:
    data = write_cube_3mf(tmp_path / "cube.3mf").read_bytes()
    path = tmp_path / "cut.3mf"
    path.write_bytes(data[: len(data) // 2])  # the central directory is at the end: now missing
    error = invalid(path)
    assert error.code == "invalid-3mf" and "not a readable ZIP archive" in error.detail


def test_document_that_is_not_a_3mf_model(tmp_path: Path) -> None:
    error = invalid(write_3mf(tmp_path / "svg.3mf", '<svg xmlns="http://www.w3.org/2000/svg"/>'))
    assert error.code == "invalid-3mf" and "<model>" in error.detail
