"""Where the orientation search keeps its checkpoints: an S3 bucket shared by every worker host, or a local folder
shared by the processes of one host when no bucket is configured."""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from prometheus_client import Counter

from system.kernel.s3 import ObjectMissing, S3Bucket
from system.pricing.build import Build
from system.pricing.checkpoints import decode, encode

log = logging.getLogger(__name__)
PREFIX = "pricing-checkpoints/"
KEEP_DAYS = 30  # the store expires them: profiles and models change, and a re-slice is only a matter of time
READS = Counter("pricing_checkpoint_reads_total", "Checkpoint reads, by result", ["result"])
for _result in ("hit", "miss", "error"):
    READS.labels(_result)


class S3Checkpoints:
    """Checkpoints as small JSON objects under `pricing-checkpoints/` in a bucket."""

    def __init__(self, bucket: S3Bucket) -> None:
        self.bucket = bucket

    async def prepare(self) -> None:
        """Ask the store to expire old checkpoints (logged, not fatal, where lifecycle rules are not supported)."""
        try:
            await self.bucket.expire(PREFIX, KEEP_DAYS)
        except Exception as exc:
            log.warning("no expiry rule for pricing checkpoints: %r", exc, extra={"prefix": PREFIX})

    async def get(self, key: str) -> Build | None:
        return await _get(key, lambda: self.bucket.get_bytes(PREFIX + key), ObjectMissing, Exception)

    async def put(self, key: str, build: Build) -> None:
        try:
            await self.bucket.put_bytes(PREFIX + key, encode(build))
        except Exception as exc:
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
