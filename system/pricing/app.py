"""Pricing worker wiring: the one place that builds concrete dependencies for one worker process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable

import httpx
from aio_pika.abc import AbstractRobustConnection
from prometheus_client import start_http_server

from system.kernel.messaging.catalogue import PricingRequested
from system.kernel.messaging.consumer import Consumer
from system.kernel.messaging.inbox import StatelessInbox
from system.kernel.messaging.publisher import Publisher
from system.kernel.messaging.queues import PRICING_REQUESTS
from system.kernel.messaging.runtime import declare_topology
from system.kernel.telemetry import setup_logging, setup_tracing
from system.pricing.adapters import cancellations
from system.pricing.adapters.checkpoint_store import FilesCheckpoints, FolderCheckpoints
from system.pricing.adapters.files_client import FilesClient
from system.pricing.adapters.model_cache import ModelCache
from system.pricing.build import ProcessSlicer, slicer_version
from system.pricing.consumers import handlers
from system.pricing.ports import Progress
from system.pricing.running import RunningJobs
from system.pricing.service import Engine, Memo, Outcome, price_line
from system.pricing.settings import PricingSettings

log = logging.getLogger(__name__)

SERVICE = "pricing"
# One job at a time per worker: a job is CPU-heavy and long, so a prefetched second one would only wait
# here while another worker could have started it.
PREFETCH = 1
MAX_START_DELAY = 10.0


async def run_worker(settings: PricingSettings, index: int = 0, *, stop: asyncio.Event | None = None) -> None:
    """Run one worker (its own connections, prefetch 1) until SIGTERM/SIGINT or `stop` is set."""
    setup_logging(SERVICE, settings.log_level, settings.log_json)
    setup_tracing(SERVICE, settings.otlp_endpoint, worker=index)
    if settings.metrics_port is not None:
        start_http_server(settings.metrics_port + index)
    stop = stop if stop is not None else asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    timeout = httpx.Timeout(settings.http_timeout_seconds, connect=5.0)
    async with httpx.AsyncClient(timeout=timeout) as http:
        files = FilesClient(settings.files_url, http, settings.auth_secret)
        engine = Engine(
            fetch_model=ModelCache(settings.cache_dir, files, max_bytes=settings.max_model_bytes).fetch,
            slicer=ProcessSlicer(settings.cache_dir / "slicing", settings.job_timeout_s),
            checkpoints=await _checkpoints(settings, files),
            max_model_bytes=settings.max_model_bytes,
            job_timeout_s=settings.job_timeout_s,
            slicer_version=await asyncio.to_thread(slicer_version),
            memo=Memo(settings.memo_size),
        )

        async def price(request: PricingRequested, progress: Progress) -> Outcome:
            return await price_line(request, engine, progress)

        jobs = RunningJobs()
        publisher = Publisher(settings.amqp_url)
        consumer = Consumer(
            PRICING_REQUESTS,
            StatelessInbox(),
            handlers(publisher, price, jobs),
            publisher,
            prefetch=PREFETCH,
            batch_size=1,
            concurrency=1,
        )
        listener: list[AbstractRobustConnection] = []
        try:
            if await _start(settings, consumer, publisher, stop, lambda: _listen(settings, jobs, listener)):
                log.info("pricing worker consuming", extra={"worker": index, "queue": PRICING_REQUESTS.name})
                await stop.wait()
        finally:
            # An unfinished job stays unacked: the broker hands it to another worker.
            await consumer.stop()
            await publisher.close()
            for connection in listener:
                await connection.close()
    log.info("pricing worker stopped", extra={"worker": index})


async def _checkpoints(settings: PricingSettings, files: FilesClient) -> FilesCheckpoints | FolderCheckpoints:
    """The checkpoint store the settings name: the File Service's (the default), or a folder on this host."""
    if settings.checkpoints == "files":
        return FilesCheckpoints(files)
    folder = FolderCheckpoints(settings.cache_dir / "checkpoints")
    await folder.prepare()
    return folder


async def _listen(settings: PricingSettings, jobs: RunningJobs, kept: list[AbstractRobustConnection]) -> None:
    if not kept:  # once: the robust connection re-subscribes by itself after a broker outage
        kept.append(await cancellations.listen(settings.amqp_url, jobs.cancel))


async def _start(
    settings: PricingSettings,
    consumer: Consumer,
    publisher: Publisher,
    stop: asyncio.Event,
    listen: Callable[[], Awaitable[None]],
) -> bool:
    """Declare the topology, listen for cancellations and start consuming, retrying with backoff until it works or
    we are stopped."""
    delay = 0.5
    while not stop.is_set():
        try:
            # Every queue, so results are kept even if no MES consumer has declared its queue yet.
            await declare_topology(settings.amqp_url)
            await listen()
            await publisher.connect()
            await consumer.start(settings.amqp_url)
            return True
        except Exception as exc:
            log.warning("broker not reachable yet, retrying in %.1fs: %r", delay, exc)
            await consumer.stop()
            await publisher.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=delay)
        delay = min(delay * 2, MAX_START_DELAY)
    return False
