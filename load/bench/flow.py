"""Benchmark: orders/s from `POST /orders` to `quoted`, quote latency at a fixed rate, and the MES API's
latency with the pricing workers idle vs saturated by long jobs (the ratio shows the MES API is not blocked).

Run with `make bench-flow` (starts the stack if it is not up, and stops it again if it started it).
Latencies come from the CRM's own records (order created_at -> the `quoted` timeline entry).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from system.crm.seed import DEMO_ACCOUNTS
from system.stack.stack import Stack, running_stack
from tests.fixtures import meshes
from tests.plugins.clients import DEMO_PASSWORD, upload

console = Console()


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by the nearest-rank method."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered)) - 1))]


class Bench:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        s = stack.settings
        self.crm = httpx.AsyncClient(base_url=s.url(s.crm_port), timeout=60)
        self.mes = httpx.AsyncClient(base_url=s.url(s.mes_port), timeout=60)

    async def sign_in(self, account: int) -> dict[str, str]:
        body = {"email": DEMO_ACCOUNTS[account].email, "password": DEMO_PASSWORD}
        token = (await self.crm.post("/auth/login", json=body)).json()["access_token"]
        return {"Authorization": f"Bearer {token}"}

    async def place(self, who: dict[str, str], file_id: str) -> str:
        line = {"file_id": file_id, "material": "pla", "process": "fdm", "quantity": 1, "lead_time_days": 7}
        headers = {**who, "Idempotency-Key": str(uuid.uuid4())}
        response = await self.crm.post("/orders", json={"lines": [line]}, headers=headers)
        response.raise_for_status()
        return str(response.json()["id"])

    def quoted(self, ids: list[str]) -> int:
        sql = f"SELECT count(*) FROM orders WHERE state = 'quoted' AND id IN ({','.join(repr(i) for i in ids)})"
        return int(self.stack.postgres.psql(sql, database="crm"))

    async def wait_quoted(self, ids: list[str], within: float = 600) -> None:
        deadline = time.monotonic() + within
        while self.quoted(ids) < len(ids):
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {self.quoted(ids)}/{len(ids)} orders quoted after {within}s")
            await asyncio.sleep(0.2)

    def latencies(self, ids: list[str]) -> list[float]:
        """Seconds from each order's creation to its `quoted` timeline entry."""
        sql = (
            "SELECT extract(epoch FROM t.at - o.created_at) FROM orders o JOIN order_timeline t ON t.order_id = o.id"
            f" WHERE t.state = 'quoted' AND o.id IN ({','.join(repr(i) for i in ids)})"
        )
        return [float(v) for v in self.stack.postgres.psql(sql, database="crm").split()]

    async def throughput(self, who: dict[str, str], files: list[str], count: int, concurrency: int) -> float:
        """Orders/s from the first POST to the last order quoted, `concurrency` clients placing orders."""
        ids: list[str] = []
        gate = asyncio.Semaphore(concurrency)

        async def one(n: int) -> None:
            async with gate:
                ids.append(await self.place(who, files[n % len(files)]))

        started = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(count)))
        await self.wait_quoted(ids)
        return count / (time.perf_counter() - started)

    async def at_rate(self, who: dict[str, str], files: list[str], rate: float, seconds: float) -> list[float]:
        """Place orders at a fixed rate; return each one's quote latency."""
        ids: list[str] = []
        tasks = []
        started = time.perf_counter()
        for n in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(self.place(who, files[n % len(files)])))
        ids = list(await asyncio.gather(*tasks))
        await self.wait_quoted(ids)
        return self.latencies(ids)

    async def mes_latencies(self, operator: dict[str, str], requests: int) -> list[float]:
        """Latency of GET /production-jobs, one request after another."""
        samples = []
        for _ in range(requests):
            started = time.perf_counter()
            (await self.mes.get("/production-jobs", headers=operator)).raise_for_status()
            samples.append(time.perf_counter() - started)
        return samples


def upload_models(stack: Stack, who: dict[str, str], sizes: list[float], big: bool = False) -> list[str]:
    """Upload, for the account `who` signs in as, cubes of these sizes (or big spheres: long pricing jobs); return
    their file ids."""
    files = httpx.Client(base_url=stack.settings.url(stack.settings.files_port), timeout=120)
    ids = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            path = Path(tmp) / f"{size}.stl"
            if big:
                meshes.write_sphere_binary(path, subdivisions=7, radius=size)
            else:
                meshes.write_cube_binary(path, size)
            response = upload(files, path.read_bytes(), path.name, who=who)
            response.raise_for_status()
            ids.append(str(response.json()["id"]))
    return ids


async def run(stack: Stack, orders: int, rate: float, seconds: float, long_jobs: int) -> dict[str, Any]:
    bench = Bench(stack)
    customer, operator = await bench.sign_in(0), await bench.sign_in(2)
    small = upload_models(stack, customer, [10 + n / 7 + uuid.uuid4().int % 1000 / 1e4 for n in range(20)])
    await bench.mes_latencies(operator, 20)  # warm-up
    results: dict[str, Any] = {"throughput": await bench.throughput(customer, small, orders, concurrency=16)}
    results["latencies"] = await bench.at_rate(customer, small, rate, seconds)
    results["mes_idle"] = await bench.mes_latencies(operator, 300)
    big = upload_models(stack, customer, [30 + n + uuid.uuid4().int % 1000 / 1e4 for n in range(long_jobs)], big=True)
    long_ids = [await bench.place(customer, f) for f in big]
    results["mes_saturated"] = await bench.mes_latencies(operator, 300)
    results["still_pricing"] = len(long_ids) - bench.quoted(long_ids)  # > 0: workers were busy throughout
    await bench.wait_quoted(long_ids)
    return results


def main(
    orders: int = typer.Option(300, help="orders for the throughput measurement"),
    rate: float = typer.Option(10.0, help="orders/s for the latency measurement"),
    seconds: float = typer.Option(20.0, help="duration of the latency measurement"),
    long_jobs: int = typer.Option(24, help="large models that keep the pricing workers busy"),
) -> None:
    """Print orders/s to quoted, quote latency percentiles, and MES API p95 idle vs saturated."""
    with running_stack(progress=lambda m: console.print(f"  {m}")) as stack:
        r = asyncio.run(run(stack, orders, rate, seconds, long_jobs))
    workers = sum(1 for s in stack.services if s.name == "pricing" for _ in s.replicas)
    table = Table("measurement", "value", title=f"order flow benchmark ({workers} pricing workers)")
    table.add_row(f"orders/s, POST /orders -> quoted ({orders} orders, 16 clients)", f"{r['throughput']:.1f}")
    lat = r["latencies"]
    table.add_row(f"quote latency p50 at {rate:g} orders/s ({len(lat)} orders)", f"{percentile(lat, 50) * 1000:.0f} ms")
    table.add_row(f"quote latency p95 at {rate:g} orders/s", f"{percentile(lat, 95) * 1000:.0f} ms")
    idle, busy = percentile(r["mes_idle"], 95), percentile(r["mes_saturated"], 95)
    table.add_row("MES API p95, pricing workers idle", f"{idle * 1000:.1f} ms")
    table.add_row(
        f"MES API p95, workers saturated ({r['still_pricing']} long jobs still queued at the end)",
        f"{busy * 1000:.1f} ms",
    )
    table.add_row("MES API p95 saturated / idle", f"{busy / idle:.2f}")
    table.add_row(
        "MES API median idle / saturated",
        f"{statistics.median(r['mes_idle']) * 1000:.1f} / {statistics.median(r['mes_saturated']) * 1000:.1f} ms",
    )
    console.print(table)
    console.print(
        f"goals: >= 30 orders/s -> {'met' if r['throughput'] >= 30 else 'NOT met'};"
        f" MES p95 saturated <= 1.5x idle -> {'met' if busy / idle <= 1.5 else 'NOT met'}"
    )


if __name__ == "__main__":
    typer.run(main)
