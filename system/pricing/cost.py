"""The cost model: a deterministic price for one order line from its geometry and order parameters (pure).

Rules, applied in this order (money in Decimal EUR, rounded to cents only at the end):
1. Printable: the process must accept the material (resin only on SLA, nylon powder on SLS, filaments
   on FDM), the part must enclose some volume and fit the process's build envelope in an axis-aligned
   orientation. Otherwise the line is Unpriceable, with a reason a customer can act on.
2. Per part, from the slicer (FDM, SLA): of the orientations sliced, the one with the lowest material + machine
   cost wins; material = the slicer's material (supports included) x density x (1 + waste) x price per kg;
   machine = the slicer's print time x the process's hourly rate.
   Per part, from geometry (SLS, which has no slicer here; a powder bed needs no supports): material = volume x
   density x (1 + allowance for unrecoverable powder) x price per kg; machine = (volume / build rate + surface
   area / surface rate) x the hourly rate: a sintering laser's time follows the volume it fuses and the
   outline it traces.
3. Production (per part x quantity) gets the quantity-tier discount; the setup fee is added once per line.
4. The lead-time multiplier scales the line: rush orders are dearer, relaxed ones slightly cheaper.
5. A B2B customer's contract discount comes off last; B2C customers have none.
6. A line never costs less than the minimum line price.
7. total = the line rounded half-up to cents; unit = total / quantity rounded half-up to cents (indicative:
   the line total is what is charged). Breakdown entries are rounded to cents, plus a "rounding" entry, so
   they add up to the total exactly. A mesh that is not watertight gets a provisional price and a warning.
The figures (prices, rates, tiers, envelopes) are in rates.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

from system.kernel.messaging.catalogue import Material, PricedBuild, Process, Unit
from system.mesh import MeshSummary
from system.mesh.units import in_mm, largest_side, likely_units
from system.pricing.build import Build
from system.pricing.rates import (
    CENT,
    CURRENCY,
    ECONOMY_MULTIPLIER,
    LEAD_TIME_TIERS,
    MATERIALS,
    MIN_VOLUME_MM3,
    MINIMUM_LINE_PRICE,
    NOT_WATERTIGHT,
    PROCESSES,
    QUANTITY_TIERS,
)
from system.pricing.slicer import SliceEstimate

D = Decimal


class Unpriceable(ValueError):
    """The line cannot be made as ordered; `reason` says why in words a customer understands."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Parameters:
    """Everything besides the geometry that the price depends on (hashable: part of the cache key)."""

    material: Material
    process: Process
    quantity: int
    lead_time_days: int
    customer_kind: str  # "b2c" | "b2b"
    contract_discount_pct: Decimal = Decimal(0)
    unit: Unit = Unit.MM  # what the model's coordinates are in


@dataclass(frozen=True)
class Quote:
    unit_price: Decimal
    total_price: Decimal
    breakdown: dict[str, Decimal] = field(hash=False)
    warnings: tuple[str, ...] = ()
    currency: str = CURRENCY
    build: PricedBuild | None = None  # the slicer's figures, when the process has a slicer


def quantity_discount(quantity: int) -> Decimal:
    """The fraction taken off production cost for an order of `quantity` parts."""
    return next((rate for smallest, rate in QUANTITY_TIERS if quantity >= smallest), D(0))


def lead_time_multiplier(days: int) -> Decimal:
    """How the line price scales with the lead time the customer asked for."""
    return next((factor for longest, factor in LEAD_TIME_TIERS if days <= longest), ECONOMY_MULTIPLIER)


def contract_discount(params: Parameters) -> Decimal:
    """The fraction a B2B contract takes off (0 for B2C, whatever the request carries)."""
    if params.customer_kind not in ("b2c", "b2b"):
        raise Unpriceable(f"Unknown customer kind {params.customer_kind!r}: expected b2c or b2b.")
    if params.customer_kind == "b2c":
        return D(0)
    if not D(0) <= params.contract_discount_pct <= D(100):
        raise Unpriceable(f"A contract discount of {params.contract_discount_pct}% is outside 0-100%.")
    return params.contract_discount_pct / 100


def check_printable(geometry: MeshSummary, params: Parameters) -> None:
    """Raise Unpriceable unless the process accepts the material and the part has volume and fits."""
    process = PROCESSES[params.process]
    if params.material not in process.materials:
        accepted = ", ".join(sorted(m.value for m in process.materials))
        raise Unpriceable(
            f"{params.material.value} cannot be printed with {params.process.value.upper()}; "
            f"that process accepts: {accepted}."
        )
    if params.quantity < 1:
        raise Unpriceable(f"The quantity must be at least 1, not {params.quantity}.")
    if _decimal(geometry.volume_mm3) < MIN_VOLUME_MM3:
        raise Unpriceable(f"The model encloses no printable volume ({geometry.volume_mm3:.3g} mm³).")
    size = sorted(high - low for low, high in zip(geometry.bbox_min, geometry.bbox_max, strict=True))
    if any(d > e for d, e in zip(size, sorted(process.envelope_mm), strict=True)):
        measured = " x ".join(f"{d:.1f}" for d in sorted(size, reverse=True))
        envelope = " x ".join(str(e) for e in process.envelope_mm)
        raise Unpriceable(
            f"The part measures {measured} mm and does not fit the {params.process.value.upper()} "
            f"build volume of {envelope} mm in any orientation."
        )


def check(drawn: MeshSummary, params: Parameters) -> None:
    """check_printable for a model drawn in `params.unit`; the reason suggests another unit where one fits better."""
    try:
        check_printable(in_mm(drawn, params.unit), params)
    except Unpriceable as exc:
        raise Unpriceable(" ".join([str(exc), *_unit_doubt(drawn, params)])) from None


def quote(drawn: MeshSummary, params: Parameters, builds: Sequence[Build] = ()) -> Quote:
    """The price of `params.quantity` parts of this geometry (in `params.unit`), or Unpriceable. `builds` are the
    slicer's results per orientation (the cheapest printable one is priced); none: the geometric model."""
    geometry = in_mm(drawn, params.unit)
    check(drawn, params)
    try:
        chosen = cheapest(builds, params) if builds else None
    except Unpriceable as exc:
        raise Unpriceable(" ".join([str(exc), *_unit_doubt(drawn, params)])) from None
    # A fixed context: the result must not depend on whatever precision or rounding the process set globally.
    with localcontext(Context(prec=28)):
        material, machine = sliced_cost(_estimate(chosen), params) if chosen else geometric_cost(geometry, params)
        lines = {"material": material * params.quantity, "machine": machine * params.quantity}
        lines["quantity_discount"] = -(lines["material"] + lines["machine"]) * quantity_discount(params.quantity)
        lines["setup"] = PROCESSES[params.process].setup_fee
        lines["lead_time"] = sum(lines.values(), D(0)) * (lead_time_multiplier(params.lead_time_days) - 1)
        lines["contract_discount"] = -sum(lines.values(), D(0)) * contract_discount(params)
        lines["minimum_price"] = max(MINIMUM_LINE_PRICE - sum(lines.values(), D(0)), D(0))
        total = _cents(sum(lines.values(), D(0)))
        breakdown = {name: _cents(amount) for name, amount in lines.items()}
        breakdown["rounding"] = _cents(total - sum(breakdown.values(), D(0)))
        unit = _cents(total / params.quantity)
    open_mesh = () if geometry.watertight else (NOT_WATERTIGHT,)
    warnings = open_mesh + geometry.checks.warnings() + _unit_doubt(drawn, params)
    build = _priced(chosen, len(builds)) if chosen else None
    return Quote(unit_price=unit, total_price=total, breakdown=breakdown, warnings=warnings, build=build)


def sliced_cost(estimate: SliceEstimate, params: Parameters) -> tuple[Decimal, Decimal]:
    """(material, machine) cost of one part from the slicer's estimate."""
    process, material = PROCESSES[params.process], MATERIALS[params.material]
    grams = _decimal(estimate.material_cm3) * material.density_g_cm3 * (1 + process.sliced_waste)
    hours = _decimal(estimate.print_seconds) / 3600
    return grams / 1000 * material.price_per_kg, hours * process.hourly_rate


def geometric_cost(geometry: MeshSummary, params: Parameters) -> tuple[Decimal, Decimal]:
    """(material, machine) cost of one part from its volume and area alone."""
    process, material = PROCESSES[params.process], MATERIALS[params.material]
    volume_cm3 = _decimal(geometry.volume_mm3) / 1000
    grams = volume_cm3 * material.density_g_cm3 * (1 + process.material_allowance)
    hours = volume_cm3 / process.build_rate_cm3_h + _decimal(geometry.area_mm2) / 100 / process.surface_rate_cm2_h
    return grams / 1000 * material.price_per_kg, hours * process.hourly_rate


def cheapest(builds: Sequence[Build], params: Parameters) -> Build:
    """The printable build with the lowest material + machine cost (the first of equals); Unpriceable if none."""
    printable = [b for b in builds if b.estimate is not None]
    if not printable:
        reasons = "; ".join(f"{b.orientation}: {b.refused}" for b in builds)
        raise Unpriceable(f"The part cannot be printed in any orientation tried ({reasons}).")
    with localcontext(Context(prec=28)):
        return min(printable, key=lambda b: sum(sliced_cost(_estimate(b), params)))


def _estimate(build: Build) -> SliceEstimate:
    assert build.estimate is not None, "only printable builds are priced"
    return build.estimate


def _priced(chosen: Build, compared: int) -> PricedBuild:
    e = _estimate(chosen)
    return PricedBuild(orientation=chosen.orientation, print_seconds=e.print_seconds, material_cm3=e.material_cm3,
                       support_cm3=e.support_cm3, orientations=compared)  # fmt: skip


def _unit_doubt(drawn: MeshSummary, params: Parameters) -> tuple[str, ...]:
    """A warning when a part that looks drawn in another unit is ordered in millimetres."""
    likely = likely_units(drawn) if params.unit == Unit.MM else ()
    if not likely:
        return ()
    others = " or ".join(u.value for u in likely)
    return (
        f"The part measures only {largest_side(drawn):.3g} mm across, far smaller than printed parts usually are: "
        f"if it was drawn in {others}, order it with that unit (this answer is for millimetres).",
    )


def _decimal(value: float) -> Decimal:
    # repr is the shortest string that round-trips, so equal floats always become equal Decimals.
    return D(repr(float(value)))


def _cents(amount: Decimal) -> Decimal:
    rounded = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    return rounded.copy_abs() if rounded.is_zero() else rounded  # no "-0.00" in quotes
