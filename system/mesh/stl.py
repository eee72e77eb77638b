"""Binary and ASCII STL readers: a file path in, an (n, 3, 3) float64 array of triangle vertices out.

Which reader applies, and what a damaged binary file is called:

* binary when the size is exactly 84 + 50 * n for the count n in the header. This is tested first because
  many binary exporters start their free-text header with "solid";
* otherwise ASCII when the file starts with "solid" and its first 4 KiB are text;
* otherwise a damaged binary STL, if the whole 50-byte records present look like triangles (finite
  coordinates within a kilometre; random bytes almost never do, so those are `unrecognised-format`):
  - the data stops part-way through a record, before the declared count: `truncated` (a cut-off upload);
  - anything else (whole records but a different count, or stray bytes past the declared data):
    `triangle-count-mismatch` (the exporter wrote a wrong count).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from system.mesh.errors import InvalidModel, unrecognised
from system.mesh.geometry import Triangles, first_non_finite
from system.mesh.stl_ascii import read_ascii

HEADER = 84
RECORD = np.dtype([("normal", "<f4", (3,)), ("vertices", "<f4", (3, 3)), ("attributes", "<u2")])
SNIFF = 4096
PLAUSIBLE_MM = 1e6  # a kilometre: no printable part is bigger, while ~40% of random float32 values are
SAMPLE = 1000  # records inspected to tell a damaged STL from random bytes
_CONTROL = bytes(set(range(32)) - set(b"\t\n\v\f\r")) + b"\x7f"


def load_stl(path: Path) -> tuple[Triangles, str]:
    """Read a binary or ASCII STL; return its triangles and "stl-binary" or "stl-ascii"."""
    size = path.stat().st_size
    if size == 0:
        raise InvalidModel("empty-file", "The file is empty (0 bytes).")
    with path.open("rb") as f:
        head = f.read(SNIFF)
    declared = int.from_bytes(head[80:HEADER], "little") if size >= HEADER else -1
    if size == HEADER + RECORD.itemsize * declared:
        return read_binary(path, declared), "stl-binary"
    if _is_ascii(head):
        return read_ascii(path), "stl-ascii"
    if size < HEADER:
        raise unrecognised(size)
    raise _diagnose_binary(path, size, declared)


def read_binary(path: Path, count: int) -> Triangles:
    """Read `count` 50-byte triangle records that follow the 84-byte header."""
    if count == 0:
        raise InvalidModel("no-triangles", "The STL header declares 0 triangles: there is nothing to print.")
    vertices = np.fromfile(path, dtype=RECORD, count=count, offset=HEADER)["vertices"]
    bad = first_non_finite(vertices)
    if bad is not None:
        raise InvalidModel(
            "non-finite-coordinates",
            f"Triangle {bad + 1} of {count} has a coordinate that is not a finite number (NaN or infinity).",
        )
    return vertices.astype(np.float64)


def _is_ascii(head: bytes) -> bool:
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    return text[:5].lower() == b"solid" and len(head.translate(None, _CONTROL)) == len(head)


def _diagnose_binary(path: Path, size: int, declared: int) -> InvalidModel:
    body = size - HEADER
    whole = body // RECORD.itemsize
    if not _looks_like_triangles(path, min(whole, SAMPLE)):
        return unrecognised(size)
    if body % RECORD.itemsize and whole < declared:
        return InvalidModel(
            "truncated",
            f"The STL header declares {declared} triangles ({HEADER + RECORD.itemsize * declared} bytes) but "
            f"the file stops after {size} bytes, part-way through triangle {whole + 1}: it looks cut off.",
        )
    stray = body - whole * RECORD.itemsize
    extra = f" and {stray} stray bytes" if stray else ""
    return InvalidModel(
        "triangle-count-mismatch",
        f"The STL header declares {declared} triangles but the file holds room for {whole}{extra}.",
    )


def _looks_like_triangles(path: Path, count: int) -> bool:
    if count == 0:
        return False
    vertices = np.fromfile(path, dtype=RECORD, count=count, offset=HEADER)["vertices"]
    with np.errstate(invalid="ignore"):
        return bool((np.abs(vertices) <= PLAUSIBLE_MM).all())
