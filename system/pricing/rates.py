"""The price list the cost model applies: materials, processes, discount tiers, minimums (all in EUR)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from system.kernel.messaging.catalogue import Material, Process

D = Decimal
CENT = D("0.01")
CURRENCY = "EUR"
MINIMUM_LINE_PRICE = D("10.00")
MIN_VOLUME_MM3 = D(1)
NOT_WATERTIGHT = (
    "The mesh is not watertight (some edges do not join exactly two triangles), so its volume is an "
    "estimate and this price is provisional."
)


@dataclass(frozen=True)
class MaterialSpec:
    density_g_cm3: Decimal
    price_per_kg: Decimal


@dataclass(frozen=True)
class ProcessSpec:
    materials: frozenset[Material]
    hourly_rate: Decimal  # EUR per machine hour
    build_rate_cm3_h: Decimal  # part volume laid down per hour
    surface_rate_cm2_h: Decimal  # skins, perimeters and recoating: time that grows with surface area
    setup_fee: Decimal  # once per line: file preparation, machine set-up, post-processing set-up
    material_allowance: Decimal  # geometric model: extra material (supports, purge, unrecoverable powder) per part
    sliced_waste: Decimal  # sliced parts (supports already counted): purge, skirt, failed prints, resin left behind
    envelope_mm: tuple[int, int, int]


MATERIALS: dict[Material, MaterialSpec] = {
    Material.PLA: MaterialSpec(D("1.24"), D(25)),
    Material.PETG: MaterialSpec(D("1.27"), D(30)),
    Material.ABS: MaterialSpec(D("1.04"), D(28)),
    Material.NYLON: MaterialSpec(D("1.01"), D(70)),
    Material.RESIN: MaterialSpec(D("1.12"), D(110)),
}

PROCESSES: dict[Process, ProcessSpec] = {
    Process.FDM: ProcessSpec(
        materials=frozenset({Material.PLA, Material.PETG, Material.ABS, Material.NYLON}),
        hourly_rate=D(6),
        build_rate_cm3_h=D(15),
        surface_rate_cm2_h=D(200),
        setup_fee=D(5),
        material_allowance=D("0.15"),
        sliced_waste=D("0.05"),
        envelope_mm=(300, 300, 400),
    ),
    Process.SLA: ProcessSpec(
        materials=frozenset({Material.RESIN}),
        hourly_rate=D(9),
        build_rate_cm3_h=D(20),
        surface_rate_cm2_h=D(400),
        setup_fee=D(8),
        material_allowance=D("0.25"),
        sliced_waste=D("0.10"),
        envelope_mm=(145, 145, 185),
    ),
    Process.SLS: ProcessSpec(
        materials=frozenset({Material.NYLON}),
        hourly_rate=D(15),
        build_rate_cm3_h=D(60),
        surface_rate_cm2_h=D(800),
        setup_fee=D(15),
        material_allowance=D("0.40"),
        sliced_waste=D("0.40"),  # not sliced here: the geometric allowance
        envelope_mm=(340, 340, 600),
    ),
}

# (smallest quantity, discount on production): first match wins, so keep them in descending order.
QUANTITY_TIERS: tuple[tuple[int, Decimal], ...] = (
    (1000, D("0.20")),
    (200, D("0.15")),
    (50, D("0.10")),
    (10, D("0.05")),
)
# (longest lead time in days, multiplier): first match wins; longer lead times than the last are economy.
LEAD_TIME_TIERS: tuple[tuple[int, Decimal], ...] = ((2, D("1.50")), (6, D("1.20")), (13, D("1.00")))
ECONOMY_MULTIPLIER = D("0.95")
