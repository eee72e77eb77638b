"""Which unit a model was drawn in: STL has none, so a part drawn in inches or metres reads as a speck in mm.

A part is suspicious when, read in millimetres, it is far outside what customers print: its largest side under
3 mm (below the smallest parts our processes hold to tolerance), or under 20 mm with a facet density no CAD
export of so small a part has (over 200 triangles per mm² of surface: a curve tessellated for a larger size).
The units that would make it a plausible print (largest side 5-600 mm) are offered, likeliest first; the Shop
asks the customer, and pricing warns when such a part is ordered in millimetres anyway.
"""

from __future__ import annotations

from dataclasses import replace

from system.kernel.messaging.catalogue import Unit
from system.mesh.summary import MeshSummary

TINY_MM = 3.0
SMALL_MM = 20.0
DENSE_PER_MM2 = 200.0
PRINTABLE_MM = (5.0, 600.0)
CANDIDATES = (Unit.INCH, Unit.CM, Unit.M)  # inch first: the usual culprit (CAD programs set up in inches)


def largest_side(summary: MeshSummary) -> float:
    """The longest side of the bounding box, in the file's units."""
    return max(high - low for low, high in zip(summary.bbox_min, summary.bbox_max, strict=True))


def likely_units(summary: MeshSummary) -> tuple[Unit, ...]:
    """Units other than mm the model was probably drawn in, likeliest first; () when mm is plausible."""
    side = largest_side(summary)
    density = summary.triangle_count / summary.area_mm2 if summary.area_mm2 > 0 else 0.0
    if not (side < TINY_MM or (side < SMALL_MM and density > DENSE_PER_MM2)):
        return ()
    return tuple(u for u in CANDIDATES if PRINTABLE_MM[0] <= side * u.mm <= PRINTABLE_MM[1])


def in_mm(summary: MeshSummary, unit: Unit) -> MeshSummary:
    """The summary of a model drawn in `unit`, converted to millimetres."""
    if unit == Unit.MM:
        return summary
    f = unit.mm
    return replace(
        summary,
        volume_mm3=summary.volume_mm3 * f**3,
        area_mm2=summary.area_mm2 * f**2,
        bbox_min=(summary.bbox_min[0] * f, summary.bbox_min[1] * f, summary.bbox_min[2] * f),
        bbox_max=(summary.bbox_max[0] * f, summary.bbox_max[1] * f, summary.bbox_max[2] * f),
    )
