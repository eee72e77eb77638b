"""ASCII STL reader: one regular expression per whole facet, numbers converted by numpy in bulk.

Everything between matched facets must be whitespace or `solid name` / `endsolid name` lines, so any
stray or broken text is reported with its line number instead of being skipped silently.
"""

from __future__ import annotations

import re
from itertools import islice
from pathlib import Path

import numpy as np
import numpy.typing as npt

from system.mesh.errors import InvalidModel
from system.mesh.geometry import Triangles, first_non_finite

BLOCK = 1 << 24  # bytes of text per regex pass: bounds the temporary lists whatever the file size
_NUM = rb"[-+]?(?:\d+(?:\.\d*)?(?:e[-+]?\d+)?|\.\d+(?:e[-+]?\d+)?|nan|inf(?:inity)?)"
_VERTEX = rb"\s+vertex\s+(" + _NUM + rb")\s+(" + _NUM + rb")\s+(" + _NUM + rb")"
_FACET = re.compile(rb"facet\s+normal(?:\s+" + _NUM + rb"){3}\s+outer\s+loop" + _VERTEX * 3 + rb"\s+endloop\s+endfacet")
_STRIDE = 10  # re.split yields the text before a facet, then the facet's 9 vertex coordinates
_SOLID_LINES = re.compile(rb"(?:\s*(?:end)?solid(?:[ \t][^\r\n]*)?(?![^\r\n]))*\s*")


def read_ascii(path: Path) -> Triangles:
    """Parse an ASCII STL: case-insensitive keywords, any whitespace, one or more solids."""
    # Lower-casing once keeps the patterns simple and fast; a UTF-8 byte-order mark is not text.
    text = path.read_bytes().lower().removeprefix(b"\xef\xbb\xbf")
    blocks: list[npt.NDArray[np.float64]] = []
    start = 0
    while start < len(text):
        cut = text.find(b"endfacet", start + BLOCK)  # cut right after a facet so none straddles two blocks
        end = len(text) if cut < 0 else cut + len(b"endfacet")
        blocks.append(_parse_block(text, start, end))
        start = end
    coordinates = np.concatenate(blocks) if blocks else np.empty(0)
    if len(coordinates) == 0:
        raise InvalidModel("no-triangles", "The ASCII STL contains no facets, so there is nothing to print.")
    triangles = coordinates.reshape(-1, 3, 3)
    bad = first_non_finite(triangles)
    if bad is not None:
        line = _line(text, next(islice(_FACET.finditer(text), bad, None)).start())
        raise InvalidModel(
            "non-finite-coordinates",
            f"Facet {bad + 1} (line {line}) has a coordinate that is not a finite number (NaN or infinity).",
        )
    return triangles


def _parse_block(text: bytes, start: int, end: int) -> npt.NDArray[np.float64]:
    block = text[start:end]
    parts = _FACET.split(block)
    gaps = parts[::_STRIDE]
    del parts[::_STRIDE]
    # Usually only the first and last gaps hold text (the solid/endsolid lines); scan all only if not.
    if b"".join(gaps[1:-1]).strip():
        suspects = [i for i, gap in enumerate(gaps) if gap.strip()]
    else:
        suspects = sorted({0, len(gaps) - 1})
    for i in suspects:
        _check_gap(text, start, i, gaps[i], last=end == len(text) and i == len(gaps) - 1)
    return np.array(parts, dtype=np.bytes_).astype(np.float64) if parts else np.empty(0)


def _check_gap(text: bytes, start: int, index: int, gap: bytes, *, last: bool) -> None:
    match = _SOLID_LINES.match(gap)
    valid = match.end() if match else 0
    if valid == len(gap):
        if last and b"endsolid" not in gap:
            raise InvalidModel(
                "truncated", "The ASCII STL ends without 'endsolid' after its last facet: it looks cut off."
            )
        return
    offset = start + _gap_offset(text, start, index) + valid
    line = _line(text, offset)
    if last and gap[valid:].startswith(b"facet") and b"endsolid" not in gap[valid:]:
        raise InvalidModel(
            "truncated", f"The ASCII STL stops part-way through the facet at line {line}: it looks cut off."
        )
    snippet = text[offset : offset + 60].split(b"\n", 1)[0].decode("utf-8", "replace").strip()
    raise InvalidModel(
        "malformed-ascii",
        f"Line {line} of the ASCII STL is not valid STL: {snippet!r} is not part of a complete "
        "'facet normal ... outer loop, 3 vertex lines, endloop, endfacet' block.",
    )


def _gap_offset(text: bytes, start: int, index: int) -> int:
    """Offset, within the block, of the text before facet `index` (error path only: it rescans)."""
    if index == 0:
        return 0
    previous = next(islice(_FACET.finditer(text, start), index - 1, None))
    return previous.end() - start


def _line(text: bytes, offset: int) -> int:
    return text.count(b"\n", 0, offset) + 1
