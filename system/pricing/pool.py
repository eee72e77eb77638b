"""The worker pool: N independent worker processes, each restarted if it dies, all stopped on SIGTERM/SIGINT.

Processes rather than N consumers in one process: the geometry is CPU-bound numpy work, so only separate
processes use several cores, and a job that crashes or exhausts memory takes down only its own worker.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
import time
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from types import FrameType

from system.pricing.app import run_worker
from system.pricing.settings import PricingSettings

log = logging.getLogger(__name__)

RESTART_PAUSE = 1.0  # seconds: a worker that dies at once (e.g. bad config) must not spin the CPU


def worker_main(settings: PricingSettings, index: int) -> None:
    """Body of one worker process."""
    asyncio.run(run_worker(settings, index))


def run_pool(settings: PricingSettings, concurrency: int) -> None:
    """Run `concurrency` worker processes until SIGTERM/SIGINT; then stop them and wait for them."""
    context = multiprocessing.get_context("spawn")  # fresh interpreters: no inherited event loop or sockets
    workers: dict[int, BaseProcess] = {}
    stopping = False

    def start(index: int) -> BaseProcess:
        process = context.Process(target=worker_main, args=(settings, index), name=f"pricing-worker-{index}")
        process.start()
        return process

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        log.info("stopping %d pricing workers (signal %d)", len(workers), signum)
        for process in workers.values():
            if process.is_alive():
                process.terminate()  # SIGTERM: the worker stops consuming; an unacked job is redelivered

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for index in range(concurrency):
        workers[index] = start(index)
    log.info("pricing pool started", extra={"workers": concurrency})
    while not stopping:
        ended = set(wait([p.sentinel for p in workers.values()]))
        for index, process in list(workers.items()):
            if process.sentinel in ended and not stopping:
                process.join()  # reap it, so exitcode is set
                log.warning("pricing worker %d exited with code %s; restarting it", index, process.exitcode)
                time.sleep(RESTART_PAUSE)
                if not stopping:  # a signal may have come during the pause
                    workers[index] = start(index)
    for process in workers.values():
        if process.is_alive():  # again: one may have been started while the signal was handled
            process.terminate()
        process.join()
