"""The solid a set of oriented shells encloses: each shell turned outward, cavities found, volume and area.

A shell inside another is a cavity (a hollow part): its volume is taken away. Nesting is decided by casting a
ray from a point of one shell through the triangles of the other (Möller-Trumbore, vectorised); shells whose
bounding boxes overlap but that are neither nested nor apart (sample points both inside and outside) cross each
other: the volume then counts their overlap twice, which the summary says in a warning.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from system.mesh.geometry import Triangles
from system.mesh.topology import Ints, Topology

MAX_NESTING_SHELLS = 64  # beyond this (a plate of many parts), shells are taken as apart: pairs grow as n²
SAMPLES = 16  # points of a shell tested against another for crossing
RAY = np.array([0.5773502691896258, 0.5773502692896258, 0.5773502690896258])  # off-axis: misses edges of grids


@dataclass(frozen=True)
class Solid:
    """Volume and area of what the shells enclose, and how they were found."""

    volume: float
    area: float
    inverted_shells: int  # shells that were wound inward and turned outward
    cavities: int  # shells inside another (holes in the material)
    crossing_shells: int  # shells that cross another one (self-intersection between shells)


def measure(topology: Topology, triangles: Triangles, centre: npt.NDArray[np.float64]) -> Solid:
    """Turn each shell outward, find cavities and crossings, and measure the solid (from the triangles as read:
    welding moved corners by less than the tolerance, and keeps the answer equal to trimesh's on clean files)."""
    kept = triangles if topology.kept is None else triangles[topology.kept]
    corners = kept - centre  # from the centre: less cancellation far from 0
    a, b, c = corners[:, 0], corners[:, 1], corners[:, 2]
    six = np.einsum("ij,ij->i", a, _cross(b, c))
    six[topology.flips] *= -1
    per_shell = np.bincount(topology.shell, weights=six, minlength=topology.shells) / 6.0
    doubled = _cross(b - a, c - a)
    area = float(np.sqrt(np.einsum("ij,ij->i", doubled, doubled)).sum()) / 2.0
    inverted = per_shell < 0
    depth, crossing = _nesting(topology, corners)
    sign = np.where(depth % 2 == 1, -1.0, 1.0)
    return Solid(
        volume=abs(float((sign * np.abs(per_shell)).sum())),
        area=area,
        inverted_shells=int((inverted & (depth % 2 == 0)).sum() + (~inverted & (depth % 2 == 1)).sum()),
        cavities=int((depth % 2 == 1).sum()),
        crossing_shells=crossing,
    )


def _cross(u: Triangles, v: Triangles) -> Triangles:
    """Row-wise cross products of two (n, 3) arrays, column by column (about twice as fast as np.cross here)."""
    ux, uy, uz = u.T
    vx, vy, vz = v.T
    return np.stack([uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx], axis=1)


def _nesting(topology: Topology, corners: Triangles) -> tuple[Ints, int]:
    """How many shells enclose each shell, and how many shells cross another."""
    depth = np.zeros(topology.shells, dtype=np.int64)
    if not 1 < topology.shells <= MAX_NESTING_SHELLS:
        return depth, 0
    members = [np.flatnonzero(topology.shell == s) for s in range(topology.shells)]
    low = np.array([corners[m].reshape(-1, 3).min(axis=0) for m in members])
    high = np.array([corners[m].reshape(-1, 3).max(axis=0) for m in members])
    crossing = np.zeros(topology.shells, dtype=bool)
    for inner in range(topology.shells):
        points = _samples(corners[members[inner]])
        for outer in range(topology.shells):
            if inner == outer or (low[inner] > high[outer]).any() or (high[inner] < low[outer]).any():
                continue
            inside = _inside(points, corners[members[outer]])
            if inside.all():
                depth[inner] += 1
            elif inside.any():
                crossing[inner] = crossing[outer] = True
    return depth, int(crossing.sum())


def _samples(triangles: Triangles) -> Triangles:
    """Up to SAMPLES face centroids spread over a shell (centroids, not corners: corners of touching shells
    may lie exactly on the other shell's surface)."""
    pick = np.linspace(0, len(triangles) - 1, min(SAMPLES, len(triangles))).astype(np.int64)
    centroids: Triangles = triangles[pick].mean(axis=1)
    return centroids


def _inside(points: Triangles, triangles: Triangles) -> npt.NDArray[np.bool_]:
    """Whether each point is inside the closed surface `triangles` (odd number of crossings along RAY)."""
    v0, e1, e2 = triangles[:, 0], triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0]
    p = np.cross(RAY, e2)
    det = np.einsum("ij,ij->i", e1, p)
    usable = np.abs(det) > 1e-18
    inverse = np.where(usable, 1.0 / np.where(usable, det, 1.0), 0.0)
    hits = []
    for point in points:
        t_vec = point - v0
        u = np.einsum("ij,ij->i", t_vec, p) * inverse
        q = np.cross(t_vec, e1)
        v = (q @ RAY) * inverse
        t = np.einsum("ij,ij->i", e2, q) * inverse
        hit = usable & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 0)
        hits.append(int(hit.sum()) % 2 == 1)
    return np.array(hits)
