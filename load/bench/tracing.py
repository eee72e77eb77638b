"""Benchmark: what exporting traces costs. The same measurements with the services' OTLP export off, then on.

Run with `make bench-tracing` on a running stack (`make up`): the services (not the infrastructure) are restarted
without, then with, their OTLP endpoint, and are left exporting, as `make up` starts them. Printed: orders/s to
quoted, quote latency, and the p50/p95 of two reads, each with the ratio on / off.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from load.bench.flow import Bench, percentile, upload_models
from system.stack.settings import StackSettings
from system.stack.stack import Stack

console = Console()


def restart_services(export: bool) -> Stack:
    """Restart every service but the trace sink, exporting spans or not; return the stack as configured."""
    stack = Stack(StackSettings(trace_export=export))
    services = [s for s in stack.services if s.name != "tracesink"]
    for svc in services:
        svc.down()
    for svc in services:
        svc.up()
        svc.wait_frontend()
    return stack


async def reads(
    bench: Bench, who: dict[str, str], operator: dict[str, str], order_id: str, n: int
) -> dict[str, list[float]]:
    """Latency of a customer's GET /orders/{id} (CRM) and an operator's GET /production-jobs (MES), in turn."""
    samples: dict[str, list[float]] = {"crm": [], "mes": []}
    for _ in range(n):
        for name, client, path, headers in (
            ("crm", bench.crm, f"/orders/{order_id}", who),
            ("mes", bench.mes, "/production-jobs", operator),
        ):
            started = time.perf_counter()
            (await client.get(path, headers=headers)).raise_for_status()
            samples[name].append(time.perf_counter() - started)
    return samples


async def measure(stack: Stack, orders: int, rate: float, seconds: float, requests: int) -> dict[str, Any]:
    bench = Bench(stack)
    customer, operator = await bench.sign_in(0), await bench.sign_in(2)
    files = upload_models(stack, customer, [10 + n / 7 + uuid.uuid4().int % 1000 / 1e4 for n in range(10)])
    first = await bench.place(customer, files[0])
    await bench.wait_quoted([first])
    await reads(bench, customer, operator, first, 20)  # warm-up
    return {
        "throughput": await bench.throughput(customer, files, orders, concurrency=8),
        "latencies": await bench.at_rate(customer, files, rate, seconds),
        **await reads(bench, customer, operator, first, requests),
    }


def main(
    orders: int = typer.Option(100, help="orders for the throughput measurement"),
    rate: float = typer.Option(2.0, help="orders/s for the quote latency measurement"),
    seconds: float = typer.Option(20.0, help="duration of the latency measurement"),
    requests: int = typer.Option(300, help="reads of each kind"),
) -> None:
    """Print each figure with tracing export off and on, and the ratio on / off."""
    results = {}
    for export in (False, True):
        console.print(f"services restarted with trace export {'on' if export else 'off'}")
        results[export] = asyncio.run(measure(restart_services(export), orders, rate, seconds, requests))
    off, on = results[False], results[True]
    table = Table("measurement", "export off", "export on", "on / off", title="cost of exporting traces")
    table.add_row(f"orders/s to quoted ({orders} orders, 8 clients)", f"{off['throughput']:.2f}",
                  f"{on['throughput']:.2f}", f"{on['throughput'] / off['throughput']:.2f}")  # fmt: skip
    for label, key, q in [
        (f"quote latency p50 at {rate:g} orders/s", "latencies", 50),
        (f"quote latency p95 at {rate:g} orders/s", "latencies", 95),
        ("CRM GET /orders/{id} p50", "crm", 50),
        ("CRM GET /orders/{id} p95", "crm", 95),
        ("MES GET /production-jobs p50", "mes", 50),
        ("MES GET /production-jobs p95", "mes", 95),
    ]:
        a, b = percentile(off[key], q) * 1000, percentile(on[key], q) * 1000
        table.add_row(label, f"{a:.1f} ms", f"{b:.1f} ms", f"{b / a:.2f}")
    console.print(table)


if __name__ == "__main__":
    typer.run(main)
