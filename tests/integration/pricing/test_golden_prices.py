"""Golden prices: reference parts priced end to end with the real slicer, and the reasoning beside each figure.

The slicer's estimates depend on its version and on the profiles in system/pricing/profiles/: when either changes,
these figures change, and the table is updated on purpose (re-measure it with this file's parts), never in passing.
Each row is priced again from the same checkpoint store: a redelivered job, or the same model ordered again, gets
exactly the same price. From nothing, a sliced price is reproducible within 1 % (see the test for why).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from system.kernel.messaging.catalogue import Material, PricingCompleted, Process, Unit
from system.mesh.geometry import Triangles
from system.mesh.stl_write import write_stl
from system.pricing.adapters.checkpoint_store import FolderCheckpoints
from system.pricing.build import ProcessSlicer, slicer_version
from system.pricing.service import Engine, price_line
from tests.fixtures.cad import cad_export, l_bracket, torus
from tests.fixtures.meshes import cube_triangles
from tests.unit.pricing.fakes import FakeModels, pricing_request


def indexed(vertices: np.ndarray, faces: np.ndarray) -> Triangles:
    return np.asarray(vertices[faces], dtype=np.float64)


PARTS: dict[str, Callable[[], Triangles]] = {
    "20 mm cube": lambda: cube_triangles(20.0),
    "40 x 30 x 20 mm L-bracket": lambda: indexed(*l_bracket(40.0, 30.0, 6.0, 20.0)),
    "76 mm torus": lambda: indexed(*torus()),
    "1.3 inch L-bracket (CAD export)": lambda: cad_export(*l_bracket()),
}


@dataclass(frozen=True)
class Golden:
    part: str
    order: dict[str, Any]
    total: str
    orientation: str | None  # None: priced from geometry (SLS)
    why: str
    customer: dict[str, Any] = field(default_factory=dict)


GOLDEN = [
    Golden("20 mm cube", {"material": Material.PLA, "process": Process.FDM, "quantity": 1}, "10.00", "as uploaded",
           "slicer: 18 min, 2.94 cm³ (15 % infill). material 0.10 + machine 1.81 + setup 5.00 = 6.91, "
           "below the 10.00 minimum: raised to it"),
    Golden("20 mm cube", {"material": Material.PLA, "process": Process.FDM, "quantity": 50}, "90.83", "as uploaded",
           "50 x (0.0956 + 1.8117) = 95.36, less 10 % for 50 parts = 85.82, + 5.00 setup (+0.01 rounding)"),
    Golden("40 x 30 x 20 mm L-bracket", {"material": Material.PETG, "process": Process.FDM, "quantity": 10}, "29.36",
           "as uploaded", "5 ways up compared; lying on its profile: 24 min, 3.73 cm³, no supports. "
           "10 x (0.149 + 2.415) = 25.64, less 5 % = 24.36, + 5.00 setup"),
    Golden("40 x 30 x 20 mm L-bracket", {"material": Material.PETG, "process": Process.FDM, "quantity": 10}, "25.69",
           "as uploaded", "the same, for a B2B contract at 12.5 %: 29.36 less 3.67",
           {"customer_kind": "b2b", "contract_discount_pct": Decimal("12.5")}),
    Golden("40 x 30 x 20 mm L-bracket",
           {"material": Material.RESIN, "process": Process.SLA, "quantity": 1, "lead_time_days": 2}, "37.59",
           "as uploaded", "SLA: 1 h 44 min, 10.33 ml resin of which 2.65 ml supports and pad. "
           "material 1.40 + machine 15.66 + setup 8.00 = 25.06, x 1.5 for a 2-day rush = 37.59"),
    Golden("76 mm torus", {"material": Material.ABS, "process": Process.FDM, "quantity": 1}, "15.60", "as uploaded",
           "3 distinct ways up; flat is cheapest: 1 h 41 min, 16.49 cm³ of which 1.80 supports under the inner rim. "
           "material 0.50 + machine 10.10 + setup 5.00"),
    Golden("76 mm torus", {"material": Material.NYLON, "process": Process.SLS, "quantity": 20}, "296.32", None,
           "SLS, no slicer: geometric model. 20 x (3.698 material + 11.109 machine) = 296.13, less 5 % = 281.32, "
           "+ 15.00 setup"),
    Golden("1.3 inch L-bracket (CAD export)",
           {"material": Material.PLA, "process": Process.FDM, "quantity": 100, "unit": Unit.INCH}, "194.35",
           "as uploaded", "drawn in inches: sliced at 33 x 25 x 19 mm; 20 min, 3.09 cm³. "
           "100 x (0.1006 + 2.0033) = 210.39, less 10 % = 189.35, + 5.00 setup"),
]  # fmt: skip


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[FakeModels, Any, str]]:
    folder = tmp_path_factory.mktemp("golden")
    fake = FakeModels()
    return {
        name: (fake, *fake.add(write_stl(folder / f"{n}.stl", make()))) for n, (name, make) in enumerate(PARTS.items())
    }


def engine(models: FakeModels, folder: Path) -> Engine:
    return Engine(models.fetch, ProcessSlicer(folder / "slicing", 600), FolderCheckpoints(folder / "checkpoints"),
                  max_model_bytes=1 << 27, job_timeout_s=1800, slicer_version=slicer_version())  # fmt: skip


@pytest.mark.parametrize("golden", GOLDEN, ids=[f"{g.part}, {g.order['process'].value} {g.total}" for g in GOLDEN])
async def test_a_reference_part_costs_what_the_table_says_every_time(
    golden: Golden, models: dict[str, tuple[FakeModels, Any, str]], tmp_path: Path
) -> None:
    fake, file_id, sha = models[golden.part]

    async def price(store: str) -> tuple[Decimal, dict[str, Decimal], Any]:
        outcome = await price_line(pricing_request(file_id, sha, **golden.customer, **golden.order),
                                   engine(fake, tmp_path / store))  # a fresh memo each time  # fmt: skip
        assert isinstance(outcome, PricingCompleted), getattr(outcome, "reason", outcome)
        return outcome.total_price, outcome.breakdown, outcome.build

    total, breakdown, build = first = await price("store")
    assert await price("store") == first, "asked again (a redelivery, a second order): the checkpointed slices"
    assert sum(breakdown.values(), Decimal(0)) == total
    assert (build.orientation if build else None) == golden.orientation
    if build is None:  # geometry alone: exact
        assert total == Decimal(golden.total), f"{golden.why} -> now {total}: {breakdown}"
    else:
        # From nothing, the slicer's estimate is not exactly reproducible: PrusaSlicer places SLA support points
        # by random sampling (a 20 mm cube: 9.93 to 9.97 ml of resin in three runs) and its threads may order FDM
        # moves differently under load (that cube: 18 min 7 s here, 18 min 6 s once in CI). So within 1 %.
        assert abs(total - Decimal(golden.total)) <= Decimal(golden.total) / 100, f"{golden.why} -> now {total}"
