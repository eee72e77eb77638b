"""Where the orientation search keeps its checkpoints: with the File Service, shared by every worker host, or in a
local folder shared by the processes of one host (benchmarks, a worker host of its own)."""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from prometheus_client import Counter

from system.pricing.adapters.files_client import FilesClient, NoCheckpoint
from system.pricing.build import Build
from system.pricing.checkpoints import decode, encode
from system.pricing.ports import FilesUnavailable

log = logging.getLogger(__name__)
READS = Counter("pricing_checkpoint_reads_total", "Checkpoint reads, by result", ["result"])
for _result in ("hit", "miss", "error"):
    READS.labels(_result)


class FilesCheckpoints:
    """Checkpoints kept by the File Service (which applies their expiry): every worker host reaches them."""

    def __init__(self, files: FilesClient) -> None:
        self.files = files

    async def get(self, key: str) -> Build | None:
        return await _get(key, lambda: self.files.checkpoint(key), NoCheckpoint, FilesUnavailable)

    async def put(self, key: str, build: Build) -> None:
        try:
            await self.files.keep_checkpoint(key, encode(build))
        except FilesUnavailable as exc:
            log.warning("checkpoint not stored: %r", exc, extra={"checkpoint": key})


class FolderCheckpoints:
    """Checkpoints as files in one folder: shared by the worker processes of one host."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def prepare(self) -> None:
        await asyncio.to_thread(self.folder.mkdir, parents=True, exist_ok=True)

    async def get(self, key: str) -> Build | None:
        return await _get(key, lambda: asyncio.to_thread((self.folder / key).read_bytes), FileNotFoundError, OSError)

    async def put(self, key: str, build: Build) -> None:
        try:
            await asyncio.to_thread(self._write, key, encode(build))
        except OSError as exc:
            log.warning("checkpoint not stored: %r", exc, extra={"checkpoint": key})

    def _write(self, key: str, data: bytes) -> None:
        path = self.folder / key
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside then renamed: a worker killed mid-write leaves no half checkpoint behind.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".checkpoint-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(temporary, path)


async def _get(
    key: str, read: Callable[[], Awaitable[bytes]], missing: type[Exception], failing: type[Exception]
) -> Build | None:
    """A checkpoint through `read`: None when it is `missing`, and None (logged) when the store is `failing`."""
    try:
        build = decode(await read())
    except missing:
        build = None
    except failing as exc:
        READS.labels("error").inc()
        log.warning("checkpoint unreadable, slicing again: %r", exc, extra={"checkpoint": key})
        return None
    READS.labels("hit" if build is not None else "miss").inc()
    return build
