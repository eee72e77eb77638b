"""Turn 3MF model XML parse events into triangles: one vertex table and index triples per <mesh>."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from xml.etree import ElementTree as ET

import numpy as np

from system.mesh.errors import InvalidModel
from system.mesh.geometry import Triangles

UNITS = {"micron": 0.001, "millimeter": 1.0, "centimeter": 10.0, "inch": 25.4, "foot": 304.8, "meter": 1000.0}


class MeshCollector:
    """Collect meshes from XMLPullParser events, dropping parsed elements so memory stays flat."""

    def __init__(self) -> None:
        self.scale = 1.0
        self.seen_model = False
        self._meshes: list[Triangles] = []
        self._vertices: list[str | None] | None = None
        self._indices: list[str | None] = []
        self._container: ET.Element | None = None

    def consume(self, events: Iterable[Any]) -> None:
        """Record the vertices and triangles announced by a batch of ("start" | "end", element) events."""
        for event, element in events:
            tag = element.tag.rpartition("}")[2]  # match local names: namespaces differ across 3MF versions
            if event == "end":
                if tag == "mesh":
                    self._finish_mesh()
            elif tag == "vertex":
                self._open_mesh().extend((element.get("x"), element.get("y"), element.get("z")))
            elif tag == "triangle":
                self._open_mesh()
                self._indices.extend((element.get("v1"), element.get("v2"), element.get("v3")))
            elif tag in ("vertices", "triangles"):
                self._container = element
            elif tag == "mesh":
                self._vertices, self._indices = [], []
            elif tag == "model" and not self.seen_model:
                self._start_model(element)
        if self._container is not None:
            del self._container[:]  # attributes are read on "start"; the elements themselves are not needed

    def triangles(self) -> Triangles:
        """All meshes seen so far, concatenated, in millimetres."""
        if not self.seen_model:
            raise _invalid("The 3MF model part is not a 3MF <model> document.")
        return np.concatenate(self._meshes) if self._meshes else np.empty((0, 3, 3))

    def _start_model(self, element: ET.Element) -> None:
        unit = element.get("unit", "millimeter")
        if unit not in UNITS:
            raise _invalid(f"The 3MF model uses the unknown unit {unit!r}; known: {', '.join(UNITS)}.")
        self.scale = UNITS[unit]
        self.seen_model = True

    def _open_mesh(self) -> list[str | None]:
        if self._vertices is None:
            raise _invalid("The 3MF model has a <vertex> or <triangle> outside any <mesh>.")
        return self._vertices

    def _finish_mesh(self) -> None:
        number = len(self._meshes) + 1
        vertices, indices = self._open_mesh(), self._indices
        self._vertices, self._indices = None, []
        if None in vertices or None in indices:  # numpy would silently read a missing coordinate as NaN
            raise _invalid(f"In mesh {number} of the 3MF model a vertex or triangle lacks an attribute.")
        try:
            points = np.array(vertices, dtype=np.float64).reshape(-1, 3)
            corners = np.array(indices, dtype=np.int64).reshape(-1, 3)
        except (ValueError, OverflowError) as exc:
            raise _invalid(f"Mesh {number} of the 3MF model holds a non-numeric value ({exc}).") from exc
        wrong = (corners < 0) | (corners >= len(points))
        if wrong.any():
            k = int(np.argmax(wrong.any(axis=1)))
            raise _invalid(
                f"Triangle {k + 1} of mesh {number} in the 3MF model refers to vertex "
                f"{corners[k][wrong[k]][0]}, but the mesh has only {len(points)} vertices."
            )
        self._meshes.append(points[corners] * self.scale)


def _invalid(detail: str) -> InvalidModel:
    return InvalidModel("invalid-3mf", detail)
