"""The pricing use case on an in-memory model fetcher: quotes, reasoned failures, retries, memo, progress."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from system.kernel.messaging.catalogue import Material, PricingCompleted, PricingFailed, Process
from system.mesh import InvalidModel, validate_model
from system.pricing.ports import FilesUnavailable
from system.pricing.rates import NOT_WATERTIGHT
from system.pricing.service import FETCHED, MEASURED, Lru, Memo, Outcome, price_line
from tests.fixtures import meshes
from tests.unit.pricing.fakes import FakeModels, pricing_request

LIMIT = 10_000_000


async def price(models: FakeModels, request, memo: Memo | None = None, progress=None) -> Outcome:  # type: ignore[no-untyped-def]
    return await price_line(request, fetch_model=models.fetch, max_model_bytes=LIMIT, memo=memo, progress=progress)


@pytest.mark.parametrize(
    "writer",
    [meshes.write_cube_binary, meshes.write_cube_ascii, meshes.write_cube_3mf],
    ids=["stl-binary", "stl-ascii", "3mf"],
)
async def test_a_valid_cube_gets_its_volume_based_price(tmp_path: Path, writer: Callable[..., Path]) -> None:
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
    # 125 cm³ of PLA on FDM: 4.46 material + 54.50 machine + 5.00 setup (see test_cost)
    assert (outcome.total_price, outcome.unit_price, outcome.currency) == (Decimal("63.96"), Decimal("63.96"), "EUR")
    assert outcome.breakdown["material"] == Decimal("4.46") and outcome.warnings == []


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
    outcome = await price_line(pricing_request(file_id, sha), fetch_model=models.fetch, max_model_bytes=100)
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
    models = FakeModels()
    file_id, sha = models.add(meshes.write_cube_binary(tmp_path / "cube.stl", 50.0))
    memo = Memo()
    first = await price(models, pricing_request(file_id, sha), memo)
    again = await price(models, pricing_request(file_id, sha), memo)
    more = await price(models, pricing_request(file_id, sha, quantity=10), memo)
    assert models.fetched == [file_id], "the geometry is remembered by sha256, the verdict by parameters"
    assert isinstance(first, PricingCompleted) and isinstance(again, PricingCompleted)
    assert isinstance(more, PricingCompleted)
    assert again.total_price == first.total_price and again.job_id != first.job_id
    assert more.total_price == Decimal("565.08")


async def test_an_invalid_model_is_not_parsed_twice(tmp_path: Path) -> None:
    models = FakeModels()
    file_id, sha = models.add(meshes.write_truncated_binary(tmp_path / "t.stl"))
    memo = Memo()
    outcomes = [await price(models, pricing_request(file_id, sha, quantity=q), memo) for q in (1, 2)]
    assert all(isinstance(o, PricingFailed) for o in outcomes)
    assert models.fetched == [file_id]


async def test_progress_is_reported_after_the_fetch_and_after_the_geometry(tmp_path: Path) -> None:
    models = FakeModels()
    file_id, sha = models.add(meshes.write_cube_binary(tmp_path / "cube.stl"))
    seen: list[float] = []

    async def progress(percent: float) -> None:
        seen.append(percent)

    memo = Memo()
    await price(models, pricing_request(file_id, sha), memo, progress)
    await price(models, pricing_request(file_id, sha), memo, progress)
    assert seen == [FETCHED, MEASURED], "a remembered result needs no progress"


def test_the_memo_forgets_the_least_recently_used_entry() -> None:
    lru: Lru[str, int] = Lru(2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1
    lru.put("c", 3)
    assert (lru.get("a"), lru.get("b"), lru.get("c")) == (1, None, 3)
