"""Pricing use case: fetch the model, measure it, search the orientations with the slicer, apply the cost model.

Permanent problems (unknown file, wrong content, invalid mesh, a line that cannot be made, a job over its time
limit) become a PricingFailed with a reason; transient ones (File Service or object store down) propagate, so
the consumer retries the message with backoff. Slices are checkpointed as they complete (search.py), so a retried
or redelivered job picks up where it stopped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from opentelemetry import trace
from prometheus_client import Histogram

from system.kernel.messaging.catalogue import PricingCompleted, PricingFailed, PricingRequested
from system.mesh import InvalidModel, MeshSummary, Triangles, load_model, summarize
from system.pricing.build import SLICED, Build
from system.pricing.checkpoints import Checkpoints, search_key
from system.pricing.cost import Parameters, Quote, Unpriceable, check, quote
from system.pricing.lru import Lru
from system.pricing.orientation import Orientation, candidates, distinct_builds
from system.pricing.ports import FetchModel, ModelUnavailable, Progress, Slicer
from system.pricing.search import search
from system.pricing.slicer import OnProgress, SlicerTimedOut

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)
SLICE_SECONDS = Histogram(
    "pricing_slice_seconds",
    "Time the slicer took for one orientation",
    ["process"],
    buckets=(0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800),
)

Outcome = PricingCompleted | PricingFailed
Verdict = Quote | str  # a quote, or the reason there is none

MEASURED, SEARCH_SPAN = 10.0, 89.0  # progress (percent) once the geometry is known; the search fills 10-99


@dataclass
class Memo:
    """Deterministic results this process has already worked out: geometry by sha256, verdicts by parameters."""

    size: int = 512
    geometry: Lru[str, MeshSummary | str] = field(init=False)
    verdicts: Lru[tuple[str, Parameters], Verdict] = field(init=False)

    def __post_init__(self) -> None:
        self.geometry = Lru(self.size)
        self.verdicts = Lru(self.size)


@dataclass(frozen=True)
class Engine:
    """What a pricing job needs besides its request: models, the slicer, checkpoints and the limits."""

    fetch_model: FetchModel
    slicer: Slicer
    checkpoints: Checkpoints
    max_model_bytes: int
    job_timeout_s: float
    slicer_version: str
    memo: Memo = field(default_factory=Memo)
    progress_every_s: float = 1.0  # the slicer's own progress lines, at most one per this many seconds


def parameters_of(request: PricingRequested) -> Parameters:
    """The order parameters a price depends on (the job and order ids do not change it)."""
    line = request.line
    return Parameters(
        material=line.material,
        process=line.process,
        quantity=line.quantity,
        lead_time_days=line.lead_time_days,
        unit=line.unit,
        customer_kind=request.customer_kind,
        contract_discount_pct=request.contract_discount_pct,
    )


async def price_line(request: PricingRequested, engine: Engine, progress: Progress | None = None) -> Outcome:
    """Price one order line: a completed quote, or a failure whose reason the customer can act on."""
    key = (request.line.sha256, parameters_of(request))
    verdict = engine.memo.verdicts.get(key)
    if verdict is None:
        try:
            async with asyncio.timeout(engine.job_timeout_s):
                verdict = await _price(request, key[1], engine, progress or _silent)
        except ModelUnavailable as exc:  # about this file id, not this content: not memoised
            return _failed(request, str(exc))
        except (TimeoutError, SlicerTimedOut):  # may go differently on a quieter machine: not memoised
            limit = _duration(engine.job_timeout_s)
            return _failed(request, f"Pricing this part took longer than the limit of {limit} and was stopped; "
                                    "please contact us for a manual quote.")  # fmt: skip
        engine.memo.verdicts.put(key, verdict)
    return _outcome(request, verdict)


async def _price(request: PricingRequested, params: Parameters, engine: Engine, progress: Progress) -> Verdict:
    line = request.line
    drawn, geometry = await _geometry(request, engine, progress)
    if isinstance(geometry, str):
        return geometry
    try:
        check(geometry, params)
    except Unpriceable as exc:  # before slicing anything
        return exc.reason
    builds: tuple[Build, ...] = ()
    if params.process in SLICED:
        assert drawn is not None, "a usable geometry of a sliced line comes with its triangles"
        triangles, options = await asyncio.to_thread(_ways_up, drawn, params)
        key = search_key(line.sha256, params.unit, params.process, params.material, engine.slicer_version)
        part_cm3 = geometry.volume_mm3 * params.unit.mm**3 / 1000

        async def slice_one(option: Orientation, on_progress: OnProgress) -> Build:
            return await _slice(request, engine.slicer, triangles, option, params, part_cm3, on_progress)

        async def searching(percent: float, stage: str) -> None:
            await progress(MEASURED + SEARCH_SPAN * percent / 100, stage)

        found = await search(options, slice_one, engine.checkpoints, key, searching, every=engine.progress_every_s)
        builds = found.builds
        trace.get_current_span().set_attributes({"pricing.orientations": len(options),
                                                 "pricing.orientations.resumed": found.resumed})  # fmt: skip
        if found.resumed:
            log.info("search resumed from checkpoints", extra={**_ids(request), "resumed": found.resumed,
                                                               "orientations": len(options)})  # fmt: skip
    return _quote(geometry, params, builds)


async def _geometry(
    request: PricingRequested, engine: Engine, progress: Progress
) -> tuple[Triangles | None, MeshSummary | str]:
    """The model's triangles as drawn (when the slicer needs them) and its geometry, or why it is unusable. The
    file is read once: the same triangles are measured and sliced."""
    line = request.line
    sliced = line.process in SLICED
    geometry = engine.memo.geometry.get(line.sha256)
    if isinstance(geometry, str) or (geometry is not None and not sliced):
        return None, geometry  # only the slicer needs the file itself
    fetch = engine.fetch_model
    measured: MeshSummary | str
    triangles: Triangles | None
    try:
        path = await fetch(line.file_id, line.sha256, customer_id=request.customer_id, order_id=request.order_id)
    except InvalidModel as exc:  # e.g. the download is over the size limit
        return None, _invalid(exc)
    try:
        # Reading and the numpy passes take seconds on big meshes: in a thread, the loop keeps AMQP heartbeats going.
        triangles, measured = await asyncio.to_thread(_read, path, engine.max_model_bytes, geometry)
    except InvalidModel as exc:
        triangles, measured = None, _invalid(exc)
    if geometry is None:
        engine.memo.geometry.put(line.sha256, measured)
    await progress(MEASURED, "geometry measured")
    return (triangles if sliced else None), measured


def _read(path: Path, max_bytes: int, known: MeshSummary | None) -> tuple[Triangles, MeshSummary]:
    """The model's triangles, and their summary unless it is already `known`."""
    triangles, fmt = load_model(path, max_bytes=max_bytes)
    return triangles, known if known is not None else summarize(triangles, fmt)


def _ways_up(drawn: Triangles, params: Parameters) -> tuple[Triangles, list[Orientation]]:
    """The part's triangles in millimetres and the orientations that build differently (CPU work: in a thread)."""
    triangles = drawn * params.unit.mm if params.unit.mm != 1.0 else drawn
    return triangles, distinct_builds(triangles, candidates(triangles))


async def _slice(
    request: PricingRequested,
    slicer: Slicer,
    triangles: Triangles,
    option: Orientation,
    params: Parameters,
    part_cm3: float,
    on_progress: OnProgress,
) -> Build:
    """One orientation through the slicer, with its span, its duration metric and its log line."""
    attributes = {"pricing.job.id": str(request.job_id), "pricing.orientation": option.name}
    started = time.perf_counter()
    with tracer.start_as_current_span("pricing.slice", attributes=attributes) as span:
        built = await slicer(triangles, option, params.process, params.material, part_cm3=part_cm3,
                             on_progress=on_progress)  # fmt: skip
        seconds = time.perf_counter() - started
        SLICE_SECONDS.labels(params.process.value).observe(seconds)
        estimate = built.estimate
        span.set_attribute("pricing.printable", estimate is not None)
        log.info("orientation sliced", extra={**_ids(request), "orientation": option.name, "seconds": round(seconds, 2),
                                              "print_seconds": estimate.print_seconds if estimate else None,
                                              "refused": built.refused})  # fmt: skip
    return built


def _duration(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


def _ids(request: PricingRequested) -> dict[str, str]:
    return {"job_id": str(request.job_id), "order_id": str(request.order_id)}


async def _silent(_percent: float, _stage: str) -> None:
    return None


def _quote(geometry: MeshSummary, params: Parameters, builds: tuple[Build, ...]) -> Verdict:
    try:
        return quote(geometry, params, builds)
    except Unpriceable as exc:
        return exc.reason


def _invalid(exc: InvalidModel) -> str:
    return f"The model is not usable ({exc.code}): {exc.detail}"


def _outcome(request: PricingRequested, verdict: Verdict) -> Outcome:
    if isinstance(verdict, str):
        return _failed(request, verdict)
    return PricingCompleted(
        job_id=request.job_id,
        order_id=request.order_id,
        line_id=request.line.line_id,
        unit_price=verdict.unit_price,
        total_price=verdict.total_price,
        currency=verdict.currency,
        breakdown=dict(verdict.breakdown),
        warnings=list(verdict.warnings),
        build=verdict.build,
    )


def _failed(request: PricingRequested, reason: str) -> PricingFailed:
    return PricingFailed(job_id=request.job_id, order_id=request.order_id, line_id=request.line.line_id, reason=reason)
