"""The cost model, rule by rule: compatibility, tiers, lead time, contract discount, minimum, rounding."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from system.kernel.messaging.catalogue import Material, Process, Unit
from system.mesh import MeshChecks, MeshSummary, summarize
from system.pricing.cost import (
    Parameters,
    Quote,
    Unpriceable,
    contract_discount,
    lead_time_multiplier,
    quantity_discount,
    quote,
)
from system.pricing.rates import MINIMUM_LINE_PRICE, NOT_WATERTIGHT, PROCESSES
from tests.fixtures.cad import l_bracket

D = Decimal


def cube(edge_mm: float = 50.0, *, watertight: bool = True) -> MeshSummary:
    """The geometry of a closed cube with one corner at the origin."""
    return MeshSummary(
        format="stl-binary",
        triangle_count=12,
        volume_mm3=edge_mm**3,
        area_mm2=6 * edge_mm**2,
        bbox_min=(0.0, 0.0, 0.0),
        bbox_max=(edge_mm, edge_mm, edge_mm),
        watertight=watertight,
    )


BASE = Parameters(material=Material.PLA, process=Process.FDM, quantity=1, lead_time_days=7, customer_kind="b2c")


def priced(geometry: MeshSummary | None = None, **changes: object) -> Quote:
    return quote(geometry or cube(), replace(BASE, **changes))  # type: ignore[arg-type]


def test_a_50mm_pla_cube_costs_material_plus_machine_time_plus_setup() -> None:
    # 125 cm³ x 1.24 g/cm³ x 1.15 = 178.25 g at 25 EUR/kg = 4.45625
    # (125 cm³ / 15 cm³/h + 150 cm² / 200 cm²/h) = 9.0833 h at 6 EUR/h = 54.50; setup 5.00; total 63.95625
    q = priced()
    assert (q.total_price, q.unit_price, q.currency) == (D("63.96"), D("63.96"), "EUR")
    assert q.breakdown["material"] == D("4.46") and q.breakdown["machine"] == D("54.50")
    assert q.breakdown["setup"] == D("5.00")
    assert q.warnings == ()


def test_the_price_grows_with_the_volume() -> None:
    assert priced(cube(60)).total_price > priced(cube(50)).total_price > priced(cube(40)).total_price


COMPATIBLE = {
    (Process.FDM, Material.PLA),
    (Process.FDM, Material.PETG),
    (Process.FDM, Material.ABS),
    (Process.FDM, Material.NYLON),
    (Process.SLA, Material.RESIN),
    (Process.SLS, Material.NYLON),
}


@pytest.mark.parametrize("process", list(Process))
@pytest.mark.parametrize("material", list(Material))
def test_the_material_process_matrix(process: Process, material: Material) -> None:
    if (process, material) in COMPATIBLE:
        assert priced(cube(40), process=process, material=material).total_price > MINIMUM_LINE_PRICE
    else:
        with pytest.raises(Unpriceable) as caught:
            priced(cube(40), process=process, material=material)
        assert caught.value.reason.startswith(f"{material.value} cannot be printed with {process.value.upper()}")


def test_resin_is_dearer_than_pla_for_the_same_part() -> None:
    pla = priced(cube(40))
    resin = priced(cube(40), process=Process.SLA, material=Material.RESIN)
    assert resin.breakdown["material"] > pla.breakdown["material"]


@pytest.mark.parametrize(
    ("quantity", "discount"),
    [
        (1, "0"),
        (9, "0"),
        (10, "0.05"),
        (49, "0.05"),
        (50, "0.10"),
        (199, "0.10"),
        (200, "0.15"),
        (999, "0.15"),
        (1000, "0.20"),
        (10_000, "0.20"),
    ],
)
def test_quantity_tiers(quantity: int, discount: str) -> None:
    assert quantity_discount(quantity) == D(discount)


def test_the_quantity_discount_applies_to_production_not_to_the_setup_fee() -> None:
    q = priced(quantity=10)
    production = D("58.95625") * 10  # per-part material + machine of the 50 mm cube
    assert q.breakdown["quantity_discount"] == D("-29.48")  # 5 % of 589.5625
    assert q.total_price == D("565.08")  # 589.5625 - 29.478125 + 5
    assert q.unit_price == D("56.51")  # 565.08 / 10, rounded half-up
    assert q.breakdown["material"] + q.breakdown["machine"] == (production).quantize(D("0.01"))


@pytest.mark.parametrize(
    ("days", "multiplier"),
    [(1, "1.50"), (2, "1.50"), (3, "1.20"), (6, "1.20"), (7, "1.00"), (13, "1.00"), (14, "0.95"), (90, "0.95")],
)
def test_lead_time_multiplier(days: int, multiplier: str) -> None:
    assert lead_time_multiplier(days) == D(multiplier)


def test_a_rush_order_is_dearer_and_a_relaxed_one_cheaper() -> None:
    standard = priced()
    assert priced(lead_time_days=1).total_price == D("95.93")  # 63.95625 x 1.5
    assert priced(lead_time_days=1).breakdown["lead_time"] == D("31.98")
    assert priced(lead_time_days=30).total_price < standard.total_price < priced(lead_time_days=4).total_price


def test_a_b2b_contract_discount_comes_off_last() -> None:
    q = priced(customer_kind="b2b", contract_discount_pct=D(10), lead_time_days=1)
    # 95.934375 after the rush multiplier, minus 10 %
    assert q.breakdown["contract_discount"] == D("-9.59")
    assert q.total_price == D("86.34")


def test_a_b2c_customer_never_gets_a_contract_discount() -> None:
    assert priced(customer_kind="b2c", contract_discount_pct=D(25)).total_price == priced().total_price
    assert contract_discount(replace(BASE, customer_kind="b2c", contract_discount_pct=D(25))) == 0


@pytest.mark.parametrize(("kind", "pct"), [("b2x", D(0)), ("b2b", D(-5)), ("b2b", D("100.5"))])
def test_impossible_customer_terms_are_unpriceable(kind: str, pct: Decimal) -> None:
    with pytest.raises(Unpriceable):
        priced(customer_kind=kind, contract_discount_pct=pct)


def test_a_small_line_costs_the_minimum_price() -> None:
    q = priced(cube(10), quantity=3)
    assert q.total_price == MINIMUM_LINE_PRICE
    assert q.breakdown["minimum_price"] > 0
    assert q.unit_price == D("3.33")


def test_a_full_contract_discount_still_leaves_the_minimum() -> None:
    assert priced(customer_kind="b2b", contract_discount_pct=D(100)).total_price == MINIMUM_LINE_PRICE


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"quantity": 7},
        {"quantity": 333, "lead_time_days": 3},
        {"customer_kind": "b2b", "contract_discount_pct": D("12.5")},
        {"process": Process.SLS, "material": Material.NYLON, "quantity": 1001, "lead_time_days": 1},
    ],
)
def test_money_is_in_cents_and_the_breakdown_adds_up_to_the_total(changes: dict[str, object]) -> None:
    q = priced(cube(37.3), **changes)
    amounts = [q.total_price, q.unit_price, *q.breakdown.values()]
    assert all(a.as_tuple().exponent == -2 for a in amounts), amounts
    assert sum(q.breakdown.values(), D(0)) == q.total_price
    assert abs(q.breakdown["rounding"]) <= D("0.03")
    assert not any(str(a).startswith("-0.00") for a in amounts)


def test_the_same_inputs_always_give_the_same_quote() -> None:
    first = priced(cube(41.7), quantity=12, lead_time_days=5)
    assert all(priced(cube(41.7), quantity=12, lead_time_days=5) == first for _ in range(5))


def test_a_mesh_that_is_not_watertight_gets_a_provisional_price_with_a_warning() -> None:
    q = priced(cube(50, watertight=False))
    assert q.total_price == priced().total_price
    assert q.warnings == (NOT_WATERTIGHT,)


def test_shells_that_cross_each_other_are_priced_with_the_self_intersection_warning() -> None:
    crossing = replace(cube(50), shells=2, checks=MeshChecks(crossing_shells=2))
    q = priced(crossing)
    assert len(q.warnings) == 1 and "self-intersection" in q.warnings[0]
    assert priced().warnings == (), "a clean part carries no warning"


def test_a_part_drawn_in_inches_is_priced_at_its_real_size_and_in_mm_with_a_warning() -> None:
    vertices, faces = l_bracket()
    drawn = summarize(vertices[faces], "stl-binary")
    real_size = summarize(vertices[faces] * 25.4, "stl-binary")
    in_inches = priced(drawn, unit=Unit.INCH, quantity=10)
    assert in_inches.total_price == priced(real_size, quantity=10).total_price > MINIMUM_LINE_PRICE
    assert in_inches.warnings == ()
    with pytest.raises(Unpriceable, match=r"no printable volume \(0.384 mm³\).*if it was drawn in inch or cm"):
        priced(drawn, quantity=10)  # read as a 1.3 mm speck
    speck = priced(cube(2.5))
    assert speck.total_price == MINIMUM_LINE_PRICE
    assert len(speck.warnings) == 1 and "drawn in inch or cm, order it with that unit" in speck.warnings[0]


def test_a_mesh_without_volume_is_unpriceable() -> None:
    flat = replace(cube(50), volume_mm3=0.0, watertight=False)
    with pytest.raises(Unpriceable, match="no printable volume"):
        quote(flat, BASE)


def test_a_part_that_fits_only_rotated_is_priced_and_one_too_big_is_not() -> None:
    envelope = PROCESSES[Process.SLA].envelope_mm  # 145 x 145 x 185
    lying = replace(cube(10), bbox_max=(180.0, 10.0, 10.0))  # longer than the SLA's x, shorter than its z
    assert quote(lying, replace(BASE, process=Process.SLA, material=Material.RESIN)).total_price > 0
    too_long = replace(cube(10), bbox_max=(float(max(envelope) + 1), 10.0, 10.0))
    with pytest.raises(Unpriceable, match=r"does not fit the SLA build volume of 145 x 145 x 185 mm"):
        quote(too_long, replace(BASE, process=Process.SLA, material=Material.RESIN))
