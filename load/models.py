"""Model files to upload: binary STL cubes, each a slightly different size so no two uploads share contents."""

from __future__ import annotations

import itertools
import random

import numpy as np

from tests.fixtures import meshes

_counter = itertools.count()


def cube_stl(size: float) -> bytes:
    """A closed binary STL cube with edge `size` mm (the same layout tests/fixtures/meshes.py writes)."""
    triangles = meshes.cube_triangles(size)
    records = np.zeros(len(triangles), dtype=meshes.RECORD)
    normals = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    records["normal"] = normals / np.linalg.norm(normals, axis=1, keepdims=True)
    records["vertices"] = triangles
    return b"load test cube".ljust(80, b" ") + np.uint32(len(triangles)).tobytes() + records.tobytes()


def next_cube(rng: random.Random) -> tuple[str, bytes]:
    """A file name and the bytes of a cube between 8 and 40 mm, unique in this process (a counter in the size)
    and, through the random part, across processes and runs."""
    size = rng.uniform(8, 40) + next(_counter) * 1e-4 + rng.random() * 1e-7
    return f"cube-{size:.4f}.stl", cube_stl(size)
