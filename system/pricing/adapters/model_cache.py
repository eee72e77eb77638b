"""A local directory of model files named by their sha256: content never changes, so a present file is reused.

Only verified content ever appears under its final name: a download goes to a temporary file in the same
directory, its hash is checked, and it is renamed atomically. Several worker processes can therefore
share one cache directory, and a worker killed mid-download leaves at most a stray temporary file.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import uuid
from pathlib import Path
from typing import BinaryIO

from prometheus_client import Counter

from system.mesh import InvalidModel
from system.pricing.adapters.files_client import FilesClient
from system.pricing.ports import ContentMismatch

LOOKUPS = Counter("pricing_model_cache_total", "Model file cache lookups by result", ["result"])
for _result in ("hit", "miss"):  # export both series from the start, so hit ratios are defined at once
    LOOKUPS.labels(_result)

SHA256 = re.compile(r"[0-9a-f]{64}")


class ModelCache:
    """Fetches models through the File Service into `root`, once per content."""

    def __init__(self, root: Path, files: FilesClient, *, max_bytes: int) -> None:
        self.root = root
        self.files = files
        self.max_bytes = max_bytes

    def path_for(self, sha256: str) -> Path:
        """Where the content with this hash lives (a fan-out directory keeps directories small)."""
        if not SHA256.fullmatch(sha256):  # it becomes a file name: never let anything else through
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256

    async def fetch(
        self, file_id: uuid.UUID, sha256: str, *, customer_id: uuid.UUID | None, order_id: uuid.UUID
    ) -> Path:
        """A local path holding the file's content, verified against `sha256`; downloaded only on a miss.

        A hit asks nobody: the sha256 comes from the order line, which the CRM accepted only after the File
        Service confirmed the file is the customer's, and content never changes."""
        path = self.path_for(sha256)
        if await asyncio.to_thread(path.is_file):
            LOOKUPS.labels("hit").inc()
            return path
        LOOKUPS.labels("miss").inc()
        url = await self.files.download_url(file_id, customer_id=customer_id, order_id=order_id)
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        partial = path.with_name(f".{sha256}.{uuid.uuid4().hex}.part")
        try:
            await self._download(url, file_id, sha256, partial)
            await asyncio.to_thread(os.replace, partial, path)
        finally:
            await asyncio.to_thread(partial.unlink, missing_ok=True)
        return path

    async def _download(self, url: str, file_id: uuid.UUID, sha256: str, dest: Path) -> None:
        digest, size = hashlib.sha256(), 0
        handle: BinaryIO = await asyncio.to_thread(dest.open, "wb")
        try:
            async with contextlib.aclosing(self.files.chunks(url, file_id)) as chunks:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > self.max_bytes:  # checked while streaming: never fill the disk with a huge object
                        raise InvalidModel("too-large", f"The file is over the limit of {self.max_bytes} bytes.")
                    digest.update(chunk)
                    await asyncio.to_thread(handle.write, chunk)
        finally:
            await asyncio.to_thread(handle.close)
        if digest.hexdigest() != sha256:
            raise ContentMismatch(
                f"The content of file {file_id} (sha256 {digest.hexdigest()}) is not the content the order "
                f"line names (sha256 {sha256})."
            )
