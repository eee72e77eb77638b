"""What the File Service stores and pricing reads about a model: size, volume, area, and the state of its mesh."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from system.mesh.errors import InvalidModel
from system.mesh.geometry import Triangles, bounds
from system.mesh.solid import measure
from system.mesh.topology import RELATIVE_TOLERANCE, build


@dataclass(frozen=True)
class MeshChecks:
    """What measuring the mesh repaired or found (counts); all zero and `orientable` for a clean export."""

    welded_vertices: int = 0  # corners merged with a neighbour within the tolerance (CAD rounding)
    degenerate_faces: int = 0  # faces whose corners collapse onto each other (no area, no edges)
    duplicate_faces: int = 0  # faces repeating an earlier one (counted once)
    flipped_faces: int = 0  # faces wound against their neighbours, turned round
    inverted_shells: int = 0  # shells wound inside out, measured the right way round
    cavities: int = 0  # shells inside another: hollows, subtracted from the volume
    crossing_shells: int = 0  # shells that cross another: self-intersection, overlap counted twice
    orientable: bool = True  # False for a shell that cannot be wound consistently (a Möbius strip)

    def warnings(self) -> tuple[str, ...]:
        """Customer-facing sentences about findings that make the volume uncertain."""
        found = []
        if self.crossing_shells:
            found.append(
                f"{self.crossing_shells} shells of the model cross each other (self-intersection): the volume "
                "counts their overlap twice. Merge the bodies in your CAD program before exporting."
            )
        if not self.orientable:
            found.append("A shell of the model cannot be wound consistently (like a Möbius strip): it has no inside.")
        return tuple(found)


@dataclass(frozen=True)
class MeshSummary:
    """A model's measurements (lengths in the file's units, mm unless the order line says otherwise)."""

    format: str  # "stl-binary" | "stl-ascii" | "3mf"
    triangle_count: int
    volume_mm3: float
    area_mm2: float
    bbox_min: tuple[float, float, float]
    bbox_max: tuple[float, float, float]
    watertight: bool
    shells: int = 1
    checks: MeshChecks = field(default_factory=MeshChecks)


def summarize(triangles: Triangles, fmt: str) -> MeshSummary:
    """Summarise an (n, 3, 3) array of triangle vertices read from a file of format `fmt`."""
    if triangles.ndim != 3 or triangles.shape[1:] != (3, 3):
        raise ValueError(f"expected an (n, 3, 3) array of triangles, got shape {triangles.shape}")
    if len(triangles) == 0:
        raise InvalidModel("no-triangles", "The model contains no triangles, so there is nothing to print.")
    low, high = bounds(triangles)
    topology = build(triangles, tolerance=_tolerance(low, high))
    solid = measure(topology, triangles, (low + high) / 2)
    return MeshSummary(
        format=fmt,
        triangle_count=len(triangles),
        volume_mm3=solid.volume,
        area_mm2=solid.area,
        bbox_min=(float(low[0]), float(low[1]), float(low[2])),
        bbox_max=(float(high[0]), float(high[1]), float(high[2])),
        watertight=topology.watertight,
        shells=topology.shells,
        checks=MeshChecks(
            welded_vertices=topology.welded,
            degenerate_faces=topology.degenerate,
            duplicate_faces=topology.duplicate,
            flipped_faces=topology.flipped,
            inverted_shells=solid.inverted_shells,
            cavities=solid.cavities,
            crossing_shells=solid.crossing_shells,
            orientable=topology.orientable,
        ),
    )


def _tolerance(low: np.ndarray, high: np.ndarray) -> float:
    """Welding distance: relative to the model's size, and never below float32 resolution at its coordinates
    (STL stores float32: a corner far from the origin cannot be placed more finely than that)."""
    size = float(np.linalg.norm(high - low))
    reach = float(np.abs(np.concatenate([low, high])).max())
    return max(RELATIVE_TOLERANCE * size, 4 * float(np.spacing(np.float32(reach))))
