"""Model files to upload: binary STL cubes, each a slightly different size so no two uploads share contents."""

from __future__ import annotations

import itertools
import random

from system.mesh.stl_write import stl_bytes
from tests.fixtures import meshes

_counter = itertools.count()
# The mix's generator is seeded (same sizes every run); this makes this process's files differ from any other's.
_NONCE = random.SystemRandom().random() * 1e-7


def cube_stl(size: float) -> bytes:
    """A closed binary STL cube with edge `size` mm."""
    return stl_bytes(meshes.cube_triangles(size), b"load test cube")


def next_cube(rng: random.Random) -> tuple[str, bytes]:
    """A file name and the bytes of a cube between 8 and 40 mm drawn from `rng`, unique in this process (a
    counter in the size) and across processes and runs (a nonce far below the slicer's resolution)."""
    size = rng.uniform(8, 40) + next(_counter) * 1e-4 + _NONCE
    return f"cube-{size:.4f}.stl", cube_stl(size)
