"""Pricing use case: fetch the model, measure it off the event loop, apply the cost model, state the outcome.

Permanent problems (unknown file, wrong content, invalid mesh, a line that cannot be made) become a
PricingFailed with a reason; transient ones (File Service or object store down) propagate, so the
consumer retries the message with backoff.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from system.kernel.messaging.catalogue import PricingCompleted, PricingFailed, PricingRequested
from system.mesh import InvalidModel, MeshSummary, validate_model
from system.pricing.cost import Parameters, Quote, Unpriceable, quote
from system.pricing.ports import FetchModel, ModelUnavailable, Progress

K = TypeVar("K")
V = TypeVar("V")
Outcome = PricingCompleted | PricingFailed
Verdict = Quote | str  # a quote, or the reason there is none

FETCHED, MEASURED = 40.0, 90.0  # progress (percent) reported after each step


class Lru(Generic[K, V]):
    """A small in-process least-recently-used map."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        return None

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)


@dataclass
class Memo:
    """Deterministic results this process has already worked out: geometry by sha256, verdicts by parameters."""

    size: int = 512
    geometry: Lru[str, MeshSummary | str] = field(init=False)
    verdicts: Lru[tuple[str, Parameters], Verdict] = field(init=False)

    def __post_init__(self) -> None:
        self.geometry = Lru(self.size)
        self.verdicts = Lru(self.size)


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


async def price_line(
    request: PricingRequested,
    *,
    fetch_model: FetchModel,
    max_model_bytes: int,
    memo: Memo | None = None,
    progress: Progress | None = None,
) -> Outcome:
    """Price one order line: a completed quote, or a failure whose reason the customer can act on."""
    memo = memo if memo is not None else Memo()
    key = (request.line.sha256, parameters_of(request))
    verdict = memo.verdicts.get(key)
    if verdict is None:
        try:
            geometry = await _geometry(request, fetch_model, max_model_bytes, memo, progress)
        except ModelUnavailable as exc:  # about this file id, not this content: not memoised
            return _failed(request, str(exc))
        verdict = geometry if isinstance(geometry, str) else _quote(geometry, key[1])
        memo.verdicts.put(key, verdict)
    return _outcome(request, verdict)


async def measure(path: Path, max_bytes: int) -> MeshSummary | str:
    """The model's geometry, or why it is not a usable model; parsed in a thread, off the event loop."""
    try:
        # Reading and the numpy passes take seconds on big meshes: in a thread, the loop keeps AMQP heartbeats going.
        return await asyncio.to_thread(validate_model, path, max_bytes=max_bytes)
    except InvalidModel as exc:
        return _invalid(exc)


async def _geometry(
    request: PricingRequested, fetch_model: FetchModel, max_bytes: int, memo: Memo, progress: Progress | None
) -> MeshSummary | str:
    line = request.line
    known = memo.geometry.get(line.sha256)
    if known is not None:
        return known
    try:
        path = await fetch_model(line.file_id, line.sha256, customer_id=request.customer_id, order_id=request.order_id)
    except InvalidModel as exc:  # e.g. the download is over the size limit
        return _invalid(exc)
    if progress is not None:
        await progress(FETCHED)
    geometry = await measure(path, max_bytes)
    memo.geometry.put(line.sha256, geometry)
    if progress is not None:
        await progress(MEASURED)
    return geometry


def _quote(geometry: MeshSummary, params: Parameters) -> Verdict:
    try:
        return quote(geometry, params)
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
    )


def _failed(request: PricingRequested, reason: str) -> PricingFailed:
    return PricingFailed(job_id=request.job_id, order_id=request.order_id, line_id=request.line.line_id, reason=reason)
