"""`python -m system.pricing --concurrency N`: run the pricing worker pool."""

from __future__ import annotations

import asyncio

import typer
from pydantic import ValidationError

from system.kernel.telemetry import setup_logging
from system.pricing.app import SERVICE, run_worker
from system.pricing.pool import run_pool
from system.pricing.settings import PricingSettings

app = typer.Typer(add_completion=False, help="Pricing workers: consume pricing.requests, publish pricing.events.")


@app.command()
def main(
    concurrency: int | None = typer.Option(
        None, "--concurrency", "-c", min=1, max=64, help="Worker processes (default: PRICING_CONCURRENCY, else 1)"
    ),
) -> None:
    """Run N independent worker processes (one job each at a time); configured by PRICING_* variables."""
    try:
        settings = PricingSettings()
    except ValidationError as exc:
        typer.echo(f"invalid PRICING_* settings:\n{exc}", err=True)
        raise typer.Exit(2) from exc
    workers = concurrency or settings.concurrency
    if workers == 1:  # no supervisor process for a single worker: whatever runs us restarts it
        asyncio.run(run_worker(settings))
    else:
        setup_logging(SERVICE, settings.log_level, settings.log_json)
        run_pool(settings, workers)


if __name__ == "__main__":
    app()
