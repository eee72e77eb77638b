"""Entry points for the File Service: recognise a model by its content, read it, summarise it."""

from __future__ import annotations

from pathlib import Path

from system.mesh.errors import InvalidModel
from system.mesh.geometry import Triangles
from system.mesh.stl import load_stl
from system.mesh.summary import MeshSummary, summarize
from system.mesh.threemf import MAX_UNCOMPRESSED, load_3mf

ZIP_MAGIC = b"PK\x03\x04"


def load_model(path: Path, *, max_bytes: int) -> tuple[Triangles, str]:
    """Read an STL (binary or ASCII) or 3MF file, whatever its extension; return (triangles, format)."""
    size = path.stat().st_size
    if size > max_bytes:  # before reading a single byte
        raise InvalidModel("too-large", f"The file is {size} bytes; the limit is {max_bytes} bytes.")
    if size == 0:
        raise InvalidModel("empty-file", "The file is empty (0 bytes).")
    with path.open("rb") as f:
        magic = f.read(len(ZIP_MAGIC))
    if magic == ZIP_MAGIC:
        # An XML mesh deflates up to ~20x, so allow that much expansion of an accepted upload, within a cap.
        return load_3mf(path, max_uncompressed=min(MAX_UNCOMPRESSED, 20 * max_bytes)), "3mf"
    return load_stl(path)


def validate_model(path: Path, *, max_bytes: int) -> MeshSummary:
    """Read and summarise a model file; raise InvalidModel with a customer-facing detail if unusable."""
    triangles, fmt = load_model(path, max_bytes=max_bytes)
    return summarize(triangles, fmt)
