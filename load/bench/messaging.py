"""Benchmark: messages/s through outbox -> relay -> consumer (with its DB transaction) on the 3-node cluster,
beside raw aio-pika publish-with-confirms to a quorum queue, measured in the same run.

Run with `make bench-messaging` (starts the stack if it is not up, and stops it again if it started it).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
import uuid
from typing import Any

import aio_pika
import typer
from rich.console import Console
from rich.table import Table

from system.kernel.db import make_engine
from system.stack.stack import Stack, running_stack
from tests.plugins.messaging_rig import Rig, metadata, poll
from tests.plugins.stack import scratch_database

console = Console()


async def raw_publish_rate(url: str, count: int, window: int) -> float:
    """Messages/s for confirmed, persistent publishes to a fresh quorum queue (`window` in flight)."""
    connection = await aio_pika.connect(url)
    channel = await connection.channel(publisher_confirms=True)
    queue = await channel.declare_queue(
        f"bench.raw.{uuid.uuid4().hex[:8]}", durable=True, arguments={"x-queue-type": "quorum"}
    )
    body = b"x" * 400  # about the size of one of our envelopes
    started = time.perf_counter()
    for first in range(0, count, window):
        await asyncio.gather(
            *(
                channel.default_exchange.publish(
                    aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT), queue.name
                )
                for _ in range(min(window, count - first))
            )
        )
    elapsed = time.perf_counter() - started
    await queue.delete(if_unused=False, if_empty=False)
    await connection.close()
    return count / elapsed


async def end_to_end_rate(stack: Stack, count: int, chunk: int, consumers: int = 1) -> tuple[float, int]:
    """Messages/s from the first outbox insert to the last committed consumer effect; also the duplicates.

    The consumers run in processes of their own (`consumers` replicas of the consuming service), as in
    production; the producer's transactions and its relay share this process.
    """
    async with scratch_database(stack, f"bench_{uuid.uuid4().hex[:8]}", metadata) as engine:
        rig = Rig(engine=engine, url=stack.settings.amqp_url, name=f"bench.{uuid.uuid4().hex[:8]}")
        readies, done = [multiprocessing.Event() for _ in range(consumers)], multiprocessing.Event()
        db_url = engine.url.render_as_string(hide_password=False)
        processes = [
            multiprocessing.Process(target=_consumer_process, args=(rig.url, db_url, rig.name, ready, done))
            for ready in readies
        ]
        for process in processes:
            process.start()
        try:
            for ready in readies:
                await asyncio.to_thread(ready.wait, 60)
            await rig.start_relay(batch_size=500)
            started = time.perf_counter()
            for first in range(0, count, chunk):
                await rig.enqueue(range(first, min(first + chunk, count)))
            await poll(lambda: _reached(rig, count), within=600, what=f"{count} effects")
            elapsed = time.perf_counter() - started
            doubled = sum(n - 1 for n in (await rig.effects_per_seq()).values())
            return count / elapsed, doubled
        finally:
            done.set()
            for process in processes:
                await asyncio.to_thread(process.join, 30)
            await rig.close()


def _consumer_process(url: str, db_url: str, name: str, ready: Any, done: Any) -> None:
    """The consuming service: its own engine, connection and consumer, until told to stop."""

    async def consume() -> None:
        engine = make_engine(db_url, pool_size=20)
        rig = Rig(engine=engine, url=url, name=name)
        await rig.start_consumer(prefetch=256)
        ready.set()
        await asyncio.to_thread(done.wait)
        assert rig.consumer is not None
        await rig.consumer.stop()
        await engine.dispose()

    asyncio.run(consume())


async def _reached(rig: Rig, count: int) -> bool:
    return await rig.effect_count() >= count


def main(
    messages: int = typer.Option(10_000, help="messages per measurement"),
    chunk: int = typer.Option(100, help="messages per producer transaction"),
    consumers: int = typer.Option(1, help="consumer processes (replicas of the consuming service)"),
) -> None:
    """Print end-to-end and raw publish rates and their ratio."""
    with running_stack(progress=lambda m: console.print(f"  {m}")) as stack:
        raw = asyncio.run(raw_publish_rate(stack.settings.amqp_url, messages, window=500))
        e2e, doubled = asyncio.run(end_to_end_rate(stack, messages, chunk, consumers))
    table = Table("measurement", "messages", "messages/s", title="messaging benchmark (3-node cluster via HAProxy)")
    table.add_row("raw aio-pika publish + confirm, quorum queue", str(messages), f"{raw:,.0f}")
    table.add_row(
        f"outbox -> relay -> {consumers} consumer process(es) (DB transaction, inbox)", str(messages), f"{e2e:,.0f}"
    )
    console.print(table)
    console.print(
        f"end-to-end / raw publish ratio: {e2e / raw:.2f}   double effects: {doubled}   "
        f"goal: >= 1,000 messages/s end to end -> {'met' if e2e >= 1000 else 'NOT met'}"
    )


if __name__ == "__main__":
    typer.run(main)
