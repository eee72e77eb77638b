"""The pricing use case on an in-memory model fetcher: quotes, reasoned failures, retries, memo, progress."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from system.kernel.messaging.catalogue import Material, PricingCompleted, PricingFailed, Process, Unit
from system.mesh import InvalidModel, validate_model
from system.mesh.stl_write import write_stl
from system.pricing.lru import Lru
from system.pricing.ports import FilesUnavailable
from system.pricing.rates import NOT_WATERTIGHT
from system.pricing.service import MEASURED, Memo, Outcome, price_line
from tests.fixtures import meshes
from tests.fixtures.cad import l_bracket
from tests.unit.pricing.fakes import FakeModels, FakeSlicer, MemoryCheckpoints, engine, pricing_request

LIMIT = 10_000_000


async def price(models: FakeModels, request, memo: Memo | None = None, progress=None, **fakes) -> Outcome:  # type: ignore[no-untyped-def]
    return await price_line(request, engine(models.fetch, max_model_bytes=LIMIT, memo=memo, **fakes), progress)


@pytest.mark.parametrize(
    "writer",
    [meshes.write_cube_binary, meshes.write_cube_ascii, meshes.write_cube_3mf],
    ids=["stl-binary", "stl-ascii", "3mf"],
)
async def test_a_valid_cube_gets_its_price_from_the_slicer(tmp_path: Path, writer: Callable[..., Path]) -> None:
    models = FakeModels()
    file_id, sha = models.add(writer(tmp_path / "cube", 50.0))
    request = pricing_request(file_id, sha)
    outcome = await price(models, request)
    assert isinstance(outcome, PricingCompleted)
    assert (outcome.job_id, outcome.order_id, outcome.line_id) == (
        request.job_id,
        request.order_id,
        request.line.line_id,
    )
    # The fake slicer: 60 s per mm of height + 30 s per cm³ = 6750 s; 0.4 x 125 cm³ = 50 cm³ of filament.
    # PLA on FDM: 50 cm³ x 1.24 g/cm³ x 1.05 waste x 25 EUR/kg = 1.63; 1.875 h x 6 EUR/h = 11.25; setup 5.00.
    assert (outcome.total_price, outcome.unit_price, outcome.currency) == (Decimal("17.88"), Decimal("17.88"), "EUR")
    assert outcome.breakdown["material"] == Decimal("1.63") and outcome.warnings == []
    assert outcome.build is not None
    assert (outcome.build.orientation, outcome.build.print_seconds, outcome.build.orientations) == (
        "as uploaded",
        6750,
        1,
    )


@pytest.mark.parametrize(
    ("writer", "code"),
    [
        (meshes.write_empty, "empty-file"),
        (meshes.write_truncated_binary, "truncated"),
        (meshes.write_count_mismatch_binary, "triangle-count-mismatch"),
        (meshes.write_nan_binary, "non-finite-coordinates"),
        (lambda p: meshes.write_random_bytes(p, 3000, seed=7), "unrecognised-format"),
        (lambda p: meshes.write_zip_bomb_3mf(p, megabytes=5), "zip-bomb"),
    ],
)
async def test_a_broken_mesh_fails_with_the_mesh_checks_own_words(
    tmp_path: Path, writer: Callable[[Path], Path], code: str
) -> None:
    models = FakeModels()
    path = writer(tmp_path / "broken")
    file_id, sha = models.add(path)
    outcome = await price(models, pricing_request(file_id, sha))
    assert isinstance(outcome, PricingFailed)
    with pytest.raises(InvalidModel) as caught:  # the reason quotes what the mesh package says
        validate_model(path, max_bytes=LIMIT)
    assert outcome.reason == f"The model is not usable ({code}): {caught.value.detail}"


async def test_a_model_over_the_size_limit_fails_as_too_large(tmp_path: Path) -> None:
    models = FakeModels()
    file_id, sha = models.add(meshes.write_cube_binary(tmp_path / "cube.stl"))
    outcome = await price_line(pricing_request(file_id, sha), engine(models.fetch, max_model_bytes=100))
    assert isinstance(outcome, PricingFailed) and outcome.reason.startswith("The model is not usable (too-large)")


async def test_an_open_mesh_gets_a_provisional_price_with_a_warning(tmp_path: Path) -> None:
    models = FakeModels()
    file_id, sha = models.add(meshes.write_open_box_binary(tmp_path / "box.stl", 50.0))
    outcome = await price(models, pricing_request(file_id, sha))
    assert isinstance(outcome, PricingCompleted)
    assert outcome.warnings == [NOT_WATERTIGHT]


async def test_an_incompatible_material_and_process_fail_with_the_reason(tmp_path: Path) -> None:
    models = FakeModels()
    file_id, sha = models.add(meshes.write_cube_binary(tmp_path / "cube.stl"))
    outcome = await price(models, pricing_request(file_id, sha, material=Material.RESIN, process=Process.FDM))
    assert isinstance(outcome, PricingFailed)
    assert outcome.reason == "resin cannot be printed with FDM; that process accepts: abs, nylon, petg, pla."


async def test_the_model_is_fetched_for_the_orders_customer_only(tmp_path: Path) -> None:
    models = FakeModels()
    file_id, sha = models.add(meshes.write_cube_binary(tmp_path / "cube.stl"))
    assert isinstance(await price(models, pricing_request(file_id, sha)), PricingCompleted)
    for stranger in (uuid.uuid4(), None):  # another customer; a request from before customer_id was carried
        outcome = await price(models, pricing_request(file_id, sha, customer_id=stranger))
        assert isinstance(outcome, PricingFailed) and outcome.reason.startswith("File not found")


async def test_an_unknown_file_fails_and_is_asked_again_next_time() -> None:
    models = FakeModels()
    request = pricing_request(uuid.uuid4(), "ab" * 32)
    memo = Memo()
    outcome = await price(models, request, memo)
    assert isinstance(outcome, PricingFailed) and outcome.reason.startswith("File not found")
    await price(models, request, memo)
    assert len(models.fetched) == 2, "a missing file is about that file id, not the content: not memoised"


async def test_a_transient_fetch_error_propagates_so_the_message_is_retried(tmp_path: Path) -> None:
    models = FakeModels(failure=FilesUnavailable("File Service answered 503"))
    file_id, sha = models.add(meshes.write_cube_binary(tmp_path / "cube.stl"))
    memo = Memo()
    with pytest.raises(FilesUnavailable):
        await price(models, pricing_request(file_id, sha), memo)
    models.failure = None
    assert isinstance(await price(models, pricing_request(file_id, sha), memo), PricingCompleted)


async def test_the_same_content_and_parameters_are_priced_once_per_process(tmp_path: Path) -> None:
    models, slicer, checkpoints = FakeModels(), FakeSlicer(), MemoryCheckpoints()
    file_id, sha = models.add(meshes.write_cube_binary(tmp_path / "cube.stl", 50.0))
    memo = Memo()
    fakes = {"slicer": slicer, "checkpoints": checkpoints}
    first = await price(models, pricing_request(file_id, sha), memo, **fakes)
    again = await price(models, pricing_request(file_id, sha), memo, **fakes)
    more = await price(models, pricing_request(file_id, sha, quantity=10), memo, **fakes)
    assert models.fetched == [file_id, file_id], "the verdict is remembered by parameters: no fetch for `again`"
    assert slicer.sliced == ["as uploaded"], "the slices are checkpointed: another quantity slices nothing"
    assert isinstance(first, PricingCompleted) and isinstance(again, PricingCompleted)
    assert isinstance(more, PricingCompleted)
    assert again.total_price == first.total_price and again.job_id != first.job_id
    # 10 x (1.6275 + 11.25) = 128.775, less 5 % for ten parts = 122.34, + 5.00 setup
    assert more.total_price == Decimal("127.34")


async def test_an_invalid_model_is_not_parsed_twice(tmp_path: Path) -> None:
    models = FakeModels()
    file_id, sha = models.add(meshes.write_truncated_binary(tmp_path / "t.stl"))
    memo = Memo()
    outcomes = [await price(models, pricing_request(file_id, sha, quantity=q), memo) for q in (1, 2)]
    assert all(isinstance(o, PricingFailed) for o in outcomes)
    assert models.fetched == [file_id]


async def test_progress_is_reported_after_the_geometry_and_through_the_search(tmp_path: Path) -> None:
    models = FakeModels()
    file_id, sha = models.add(meshes.write_cube_binary(tmp_path / "cube.stl"))
    seen: list[tuple[float, str]] = []

    async def progress(percent: float, stage: str) -> None:
        seen.append((percent, stage))

    memo = Memo()
    await price(models, pricing_request(file_id, sha), memo, progress, progress_every_s=0)
    await price(models, pricing_request(file_id, sha), memo, progress, progress_every_s=0)
    percents = [p for p, _ in seen]
    assert seen[0] == (MEASURED, "geometry measured"), "and a remembered result reports none"
    assert percents == sorted(percents) and MEASURED < percents[-1] < 100
    assert "as uploaded (1 of 1): Infilling layers" in [stage for _, stage in seen], "the slicer's own stages"


def test_the_memo_forgets_the_least_recently_used_entry() -> None:
    lru: Lru[str, int] = Lru(2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1
    lru.put("c", 3)
    assert (lru.get("a"), lru.get("b"), lru.get("c")) == (1, None, 3)


async def test_the_cheapest_printable_orientation_is_quoted_and_named(tmp_path: Path) -> None:
    models, slicer = FakeModels(), FakeSlicer()
    vertices, faces = l_bracket(width=40.0, height=30.0, thickness=6.0, depth=20.0)
    file_id, sha = models.add(write_stl(tmp_path / "bracket.stl", vertices[faces]))
    outcome = await price(models, pricing_request(file_id, sha), slicer=slicer)
    assert isinstance(outcome, PricingCompleted) and outcome.build is not None
    # The fake slicer's time is 60 s per mm of height: the 20 mm deep profile lying flat is the shortest build.
    assert outcome.build.orientations == len(slicer.sliced) == 5
    part_cm3 = (40 * 6 + 24 * 6) * 20 / 1000  # foot + wall, 20 mm deep
    assert outcome.build.orientation == "as uploaded"
    assert outcome.build.print_seconds == pytest.approx(60 * 20 + 30 * part_cm3)


async def test_orientations_the_slicer_refuses_are_skipped(tmp_path: Path) -> None:
    models = FakeModels()
    vertices, faces = l_bracket(width=40.0, height=30.0, thickness=6.0, depth=20.0)
    file_id, sha = models.add(write_stl(tmp_path / "bracket.stl", vertices[faces]))
    outcome = await price(models, pricing_request(file_id, sha), slicer=FakeSlicer(refuse=frozenset({"as uploaded"})))
    assert isinstance(outcome, PricingCompleted) and outcome.build is not None
    assert outcome.build.orientation != "as uploaded" and outcome.build.orientations == 5


async def test_a_part_no_orientation_can_print_fails_with_every_reason(tmp_path: Path) -> None:
    models = FakeModels()
    file_id, sha = models.add(meshes.write_cube_binary(tmp_path / "cube.stl", 50.0))
    outcome = await price(models, pricing_request(file_id, sha), slicer=FakeSlicer(refuse=frozenset({"as uploaded"})))
    assert isinstance(outcome, PricingFailed)
    assert outcome.reason == (
        "The part cannot be printed in any orientation tried (as uploaded: Objects could not fit on the bed)."
    )


@pytest.mark.parametrize("slicer", [FakeSlicer(hang=True), FakeSlicer(time_out=True)], ids=["job", "slicer"])
async def test_a_job_over_its_time_limit_fails_with_the_reason_and_is_tried_again_later(
    tmp_path: Path, slicer: FakeSlicer
) -> None:
    models, memo = FakeModels(), Memo()
    file_id, sha = models.add(meshes.write_cube_binary(tmp_path / "cube.stl", 50.0))
    outcome = await price(models, pricing_request(file_id, sha), memo, slicer=slicer, job_timeout_s=0.2)
    assert isinstance(outcome, PricingFailed)
    assert outcome.reason == (
        "Pricing this part took longer than the limit of 0.2 s and was stopped; please contact us for a manual quote."
    )
    assert isinstance(await price(models, pricing_request(file_id, sha), memo), PricingCompleted), "not memoised"


async def test_sls_is_priced_from_geometry_without_the_slicer(tmp_path: Path) -> None:
    models, slicer = FakeModels(), FakeSlicer()
    file_id, sha = models.add(meshes.write_cube_binary(tmp_path / "cube.stl", 50.0))
    request = pricing_request(file_id, sha, material=Material.NYLON, process=Process.SLS)
    outcome = await price(models, request, slicer=slicer)
    assert isinstance(outcome, PricingCompleted) and outcome.build is None and slicer.sliced == []


async def test_a_model_drawn_in_inches_is_sliced_in_millimetres(tmp_path: Path) -> None:
    models, slicer = FakeModels(), FakeSlicer()
    file_id, sha = models.add(meshes.write_cube_binary(tmp_path / "cube.stl", 2.0))
    outcome = await price(models, pricing_request(file_id, sha, unit=Unit.INCH), slicer=slicer)
    assert isinstance(outcome, PricingCompleted) and outcome.build is not None
    side_cm = 2 * 2.54
    assert outcome.build.print_seconds == pytest.approx(60 * 10 * side_cm + 30 * side_cm**3)
