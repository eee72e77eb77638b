"""Which ways up a part may be printed: the candidates the pricing search slices, cheapest printable wins.

Candidates: the six axis-aligned ways up, the one with the smallest height (the part's thinnest principal axis
upright: fewest layers), and the one with the least overhang (the least downward-facing area steeper than
45 degrees, so the fewest supports) among 26 directions. Rotations are proper (determinant +1), so a part is
never mirrored.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from system.mesh.geometry import Triangles

Matrix = npt.NDArray[np.float64]
OVERHANG_COS = np.cos(np.radians(45.0))  # faces pointing down steeper than this need support


@dataclass(frozen=True)
class Orientation:
    """A named rotation of the part as uploaded."""

    name: str
    matrix: Matrix  # 3x3, applied to column vectors: rotated = matrix @ point

    def apply(self, triangles: Triangles) -> Triangles:
        """The triangles rotated, then moved so the part stands on z = 0."""
        rotated: Triangles = triangles @ self.matrix.T
        rotated[..., 2] -= rotated[..., 2].min()
        return rotated


def _turn(axis: int, quarter_turns: int) -> Matrix:
    c, s = np.cos(quarter_turns * np.pi / 2), np.sin(quarter_turns * np.pi / 2)
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    m = np.eye(3)
    m[i, i], m[i, j], m[j, i], m[j, j] = c, -s, s, c
    return np.round(m)


AXIS_ALIGNED = (
    Orientation("as uploaded", np.eye(3)),
    Orientation("upside down", _turn(0, 2)),
    Orientation("front down", _turn(0, 1)),
    Orientation("back down", _turn(0, -1)),
    Orientation("left side down", _turn(1, 1)),
    Orientation("right side down", _turn(1, -1)),
)


def up_to_z(direction: npt.NDArray[np.float64]) -> Matrix:
    """A rotation taking the unit vector `direction` to +z (Rodrigues; the half turn when it points down)."""
    d = direction / np.linalg.norm(direction)
    z = np.array([0.0, 0.0, 1.0])
    axis, cos = np.cross(d, z), float(d @ z)
    if np.linalg.norm(axis) < 1e-12:
        return np.eye(3) if cos > 0 else _turn(0, 2)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    rotation: Matrix = np.eye(3) + k + k @ k / (1 + cos)
    return rotation


def smallest_height(triangles: Triangles) -> Orientation:
    """The part's thinnest principal axis upright: the eigenvector of least spread of its surface's second
    moment (exact per triangle: A/12 (aa' + bb' + cc' + ss'), s = a + b + c)."""
    a, b, c = triangles[:, 0], triangles[:, 1], triangles[:, 2]
    areas = np.linalg.norm(np.cross(b - a, c - a), axis=1) / 2
    total = areas.sum()
    mean = (areas[:, None] * (a + b + c) / 3).sum(axis=0) / total
    s = a + b + c
    moment = sum(np.einsum("n,ni,nj->ij", areas, v, v) for v in (a, b, c, s)) / 12
    _, vectors = np.linalg.eigh(moment / total - np.outer(mean, mean))
    return Orientation("smallest height", up_to_z(vectors[:, 0]))


def overhang_area(triangles: Triangles, matrix: Matrix) -> float:
    """Downward-facing area steeper than 45 degrees once rotated, faces resting on the bed excepted."""
    rotated = triangles @ matrix.T
    normals = np.cross(rotated[:, 1] - rotated[:, 0], rotated[:, 2] - rotated[:, 0])
    areas = np.linalg.norm(normals, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        down = normals[:, 2] / np.where(areas > 0, areas, 1.0) < -OVERHANG_COS
    return float(areas[down & ~_on_bed(rotated)].sum() / 2)


def bed_area(triangles: Triangles, matrix: Matrix) -> float:
    """The area of the faces lying on the bed once rotated: what the part stands on."""
    rotated = triangles @ matrix.T
    on_bed = _on_bed(rotated)
    normals = np.cross(rotated[on_bed, 1] - rotated[on_bed, 0], rotated[on_bed, 2] - rotated[on_bed, 0])
    return float(np.linalg.norm(normals, axis=1).sum() / 2)


def _on_bed(rotated: Triangles) -> npt.NDArray[np.bool_]:
    """Which triangles lie flat on the lowest plane (within a millionth of the part's height)."""
    floor, height = rotated[..., 2].min(), float(np.ptp(rotated[..., 2]))
    return np.asarray(rotated[..., 2].max(axis=1) - floor <= 1e-6 * max(height, 1e-12))


def least_overhang(triangles: Triangles) -> Orientation:
    """Of 26 directions up (axes, face and corner diagonals of a cube), the one with the least overhang."""
    directions = [np.array(d, dtype=float) for d in itertools.product((-1, 0, 1), repeat=3) if any(d)]
    # Ties go to the most area on the bed (a part needs to stand on something), then to the axes.
    best = min(directions, key=lambda d: (overhang_area(triangles, up_to_z(d)), -bed_area(triangles, up_to_z(d)),
                                          np.count_nonzero(d)))  # fmt: skip
    return Orientation("least overhang", up_to_z(best))


def build_signature(triangles: Triangles, orientation: Orientation) -> tuple[float, ...]:
    """What a slicer's time and material follow from, that way up: height, footprint, overhang, area on the bed
    (rounded to a millionth of the part's size, so turns that only permute equal sides compare equal)."""
    size = np.ptp(orientation.apply(triangles).reshape(-1, 3), axis=0)
    scale = float(size.max()) or 1.0
    areas = (overhang_area(triangles, orientation.matrix), bed_area(triangles, orientation.matrix))
    figures = (size[2], *sorted(size[:2]), *(a / scale for a in areas))
    return tuple(round(float(f) / scale, 6) for f in figures)


def distinct_builds(triangles: Triangles, options: list[Orientation]) -> list[Orientation]:
    """The options that build differently: of those with the same signature (a cube's six sides), the first."""
    seen: set[tuple[float, ...]] = set()
    kept = []
    for option in options:
        signature = build_signature(triangles, option)
        if signature not in seen:
            seen.add(signature)
            kept.append(option)
    return kept


def candidates(triangles: Triangles) -> list[Orientation]:
    """The orientations to slice, one per way up (the first name wins: a turn about z changes little)."""
    found: list[Orientation] = []
    for option in (*AXIS_ALIGNED, smallest_height(triangles), least_overhang(triangles)):
        if not any(np.allclose(option.matrix[2], seen.matrix[2], atol=1e-9) for seen in found):
            found.append(option)
    return found
