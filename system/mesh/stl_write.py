"""Writing triangles as a binary STL: what the slicer reads and what the Shop's 3D preview loads."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from system.mesh.geometry import Triangles

RECORD = np.dtype([("normal", "<f4", (3,)), ("vertices", "<f4", (3, 3)), ("attributes", "<u2")])


def stl_bytes(triangles: Triangles, header: bytes = b"order-system") -> bytes:
    """A binary STL of the triangles, with unit normals from the winding (PrusaSlicer refuses zero normals)."""
    data = np.zeros(len(triangles), dtype=RECORD)
    data["vertices"] = triangles
    normals = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    lengths = np.linalg.norm(normals, axis=1, keepdims=True)
    data["normal"] = np.divide(normals, lengths, out=np.zeros_like(normals), where=lengths > 0)
    return header[:80].ljust(80, b" ") + np.uint32(len(triangles)).tobytes() + data.tobytes()


def write_stl(path: Path, triangles: Triangles) -> Path:
    """Write `stl_bytes(triangles)` to `path`; return it."""
    path.write_bytes(stl_bytes(triangles))
    return path
