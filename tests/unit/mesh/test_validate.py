"""validate_model: format by content, size limit first, every kind of bad upload gets its own code."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from system.mesh import InvalidModel, MeshSummary, load_model, validate_model
from tests.fixtures.meshes import (
    write_count_mismatch_binary,
    write_cube_3mf,
    write_cube_ascii,
    write_cube_binary,
    write_empty,
    write_nan_ascii,
    write_nan_binary,
    write_open_box_binary,
    write_random_bytes,
    write_truncated_binary,
    write_zip_bomb_3mf,
)

LIMIT = 10_000_000


def rejected(path: Path, max_bytes: int = LIMIT) -> InvalidModel:
    with pytest.raises(InvalidModel) as caught:
        validate_model(path, max_bytes=max_bytes)
    return caught.value


@pytest.mark.parametrize(
    ("writer", "fmt"),
    [(write_cube_binary, "stl-binary"), (write_cube_ascii, "stl-ascii"), (write_cube_3mf, "3mf")],
)
def test_every_format_gives_the_same_cube(tmp_path: Path, writer: Callable[[Path], Path], fmt: str) -> None:
    summary = validate_model(writer(tmp_path / "cube"), max_bytes=LIMIT)
    assert summary == MeshSummary(fmt, 12, 1000.0, 600.0, (0.0, 0.0, 0.0), (10.0, 10.0, 10.0), True)


def test_format_comes_from_content_not_extension(tmp_path: Path) -> None:
    assert load_model(write_cube_binary(tmp_path / "model.3mf"), max_bytes=LIMIT)[1] == "stl-binary"
    assert load_model(write_cube_3mf(tmp_path / "model.stl"), max_bytes=LIMIT)[1] == "3mf"
    assert load_model(write_cube_ascii(tmp_path / "model.obj"), max_bytes=LIMIT)[1] == "stl-ascii"


def test_open_mesh_is_accepted_but_flagged(tmp_path: Path) -> None:
    summary = validate_model(write_open_box_binary(tmp_path / "open.stl"), max_bytes=LIMIT)
    assert summary.watertight is False and summary.triangle_count == 10


def test_size_limit_is_checked_before_anything_else(tmp_path: Path) -> None:
    good = write_cube_binary(tmp_path / "cube.stl")  # 684 bytes
    assert validate_model(good, max_bytes=684).triangle_count == 12
    error = rejected(good, max_bytes=683)
    assert error.code == "too-large"
    assert error.detail == "The file is 684 bytes; the limit is 683 bytes."
    assert rejected(write_random_bytes(tmp_path / "junk", 5000, seed=1), max_bytes=4999).code == "too-large"


@pytest.mark.parametrize(
    ("writer", "code", "named"),
    [
        (write_empty, "empty-file", "empty"),
        (write_truncated_binary, "truncated", "cut off"),
        (write_count_mismatch_binary, "triangle-count-mismatch", "declares 14 triangles"),
        (write_nan_binary, "non-finite-coordinates", "not a finite number"),
        (write_nan_ascii, "non-finite-coordinates", "Facet 4"),
    ],
)
def test_broken_uploads_get_their_code(tmp_path: Path, writer: Callable[[Path], Path], code: str, named: str) -> None:
    error = rejected(writer(tmp_path / "model"))
    assert (error.code, named in error.detail) == (code, True), error.detail


@pytest.mark.parametrize("size", [1, 50, 83, 84, 100, 134, 684, 4096, 100_000])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_bytes_are_unrecognised(tmp_path: Path, size: int, seed: int) -> None:
    error = rejected(write_random_bytes(tmp_path / "noise", size, seed))
    assert error.code == "unrecognised-format"
    assert "neither a binary or ASCII STL nor a 3MF" in error.detail


def test_zip_bomb_is_refused(tmp_path: Path) -> None:
    error = rejected(write_zip_bomb_3mf(tmp_path / "bomb.3mf", megabytes=5))
    assert error.code == "zip-bomb"


def test_3mf_expansion_is_capped_relative_to_the_upload_limit(tmp_path: Path) -> None:
    path = write_cube_3mf(tmp_path / "cube.3mf")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Metadata/notes.txt", "x" * 500_000)  # too small to count as a bomb by ratio
    size = path.stat().st_size
    assert validate_model(path, max_bytes=LIMIT).triangle_count == 12
    error = rejected(path, max_bytes=size)  # may unpack to 20 * size, far less than the 500 kB inside
    assert error.code == "too-large"
    assert error.detail.endswith(f"the limit is {20 * size} bytes.")
