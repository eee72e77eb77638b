"""One consumer-provider pair: each interaction gets its own Pact and mock server, merged into one pact file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from pact import Pact

JSON = "application/json"


class Contract:
    """The pact between `consumer` and `provider`, written to `<folder>/<consumer>-<provider>.json`."""

    def __init__(self, consumer: str, provider: str, folder: Path) -> None:
        self.consumer = consumer
        self.provider = provider
        self.folder = folder

    def pact(self) -> Pact:
        """A fresh V4 pact for one interaction (a served pact cannot take more interactions)."""
        return Pact(self.consumer, self.provider).with_specification("V4")

    @asynccontextmanager
    async def serve(
        self, pact: Pact, mounts: dict[str, httpx.AsyncBaseTransport] | None = None
    ) -> AsyncIterator[httpx.AsyncClient]:
        """An HTTP client bound to the mock server (and to `mounts` for other hosts, e.g. the object store);
        the interactions are written only if they were matched exactly."""
        with pact.serve(raises=True) as server:
            async with httpx.AsyncClient(base_url=str(server.url), timeout=10, mounts=mounts) as http:
                yield http
        # Merged into the pair's file (overwrite=False): every test of the pair adds its interaction.
        pact.write_file(self.folder, overwrite=False)
