"""Reading both services' final views of every order, through their APIs (works against any --target)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from chaos.checker import Observed
from chaos.workload import Targets
from system.agreement import ABSENT


async def observe(
    targets: Targets, operator_token: str, order_ids: list[str], concurrency: int = 16
) -> dict[str, Observed]:
    """What the CRM (order, timeline) and MES (stage, jobs) hold of each order, as an operator sees it."""
    headers = {"Authorization": f"Bearer {operator_token}"}
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(headers=headers, timeout=30) as http:

        async def one(order_id: str) -> tuple[str, Observed]:
            async with gate:
                return order_id, await _one(http, targets, order_id)

        return dict(await asyncio.gather(*(one(o) for o in order_ids)))


async def _one(http: httpx.AsyncClient, targets: Targets, order_id: str) -> Observed:
    order = await _get(http, f"{targets.crm}/orders/{order_id}")
    if order is None:
        return Observed(None)
    timeline = await _get(http, f"{targets.crm}/orders/{order_id}/timeline") or {"items": []}
    mes = await _get(http, f"{targets.mes}/orders/{order_id}")
    return Observed(
        crm_state=str(order["state"]),
        timeline=tuple(str(e["state"]) for e in timeline["items"]),
        mes_state=str(mes["state"]) if mes else ABSENT,
        lines=int(mes["lines"]) if mes else len(order["lines"]),
        production_jobs=int(mes["production_jobs"]) if mes else 0,
        pricing_jobs=int(mes["pricing_jobs"]) if mes else 0,
    )


async def _get(http: httpx.AsyncClient, url: str, attempts: int = 5) -> dict[str, Any] | None:
    """The body, or None for a 404; a failure to read is an error of the check, never a finding."""
    for attempt in range(attempts):
        response = await http.get(url)
        if response.status_code == 404:
            return None
        if response.status_code == 200:
            return dict(response.json())
        await asyncio.sleep(0.5 * (attempt + 1))  # the services may still be recovering: back off, then retry
    response.raise_for_status()
    raise RuntimeError(f"GET {url}: {response.status_code}")
