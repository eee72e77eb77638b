"""A fault-injecting TCP proxy: this kernel has no `netem`, so latency, stalls and resets on the broker path are
made by a proxy between HAProxy and one RabbitMQ node (toxiproxy's idea, in asyncio, in the harness).

Modes: PASS forwards; DELAY holds every chunk for `delay_s` before forwarding it; STALL accepts and keeps the
connections but forwards nothing (a grey failure: health checks that only connect still pass); RESET aborts
every connection with a TCP RST, and each new one as soon as it is accepted. The proxy runs its own event loop
in a thread, so the experiment's blocking fault and rollback actions can drive it.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

log = logging.getLogger(__name__)


class Mode(StrEnum):
    PASS = "pass"
    DELAY = "delay"
    STALL = "stall"
    RESET = "reset"


@dataclass
class Stats:
    """What went through the proxy, for the experiment's report."""

    connections: int = 0
    chunks: int = 0
    delayed: int = 0
    resets: int = 0
    modes: list[str] = field(default_factory=list)  # every switch, in order


class FaultProxy:
    """Forwards 127.0.0.1:`port` to `upstream`, with the fault of the current mode."""

    def __init__(self, upstream_port: int, delay_s: float = 0.25) -> None:
        self.upstream_port, self.delay_s = upstream_port, delay_s
        self.mode, self.stats, self.port = Mode.PASS, Stats(), 0
        self._loop = asyncio.new_event_loop()
        self._flowing = asyncio.Event()
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fault-proxy", daemon=True)

    def start(self) -> int:
        """Start listening on a free loopback port; return it."""
        self._thread.start()
        server = asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(timeout=10)
        self.port = server.sockets[0].getsockname()[1]
        return self.port

    def set_mode(self, mode: Mode) -> None:
        """Switch the fault (thread-safe); RESET also aborts every open connection at once."""
        asyncio.run_coroutine_threadsafe(self._switch(mode), self._loop).result(timeout=10)

    def play(self, phases: Sequence[tuple[Mode, float]]) -> None:
        """Run the phases (mode, seconds) one after another in the background, then go back to PASS."""
        asyncio.run_coroutine_threadsafe(self._play(phases), self._loop)

    def stop(self) -> None:
        """Close every connection and the listener; stop the thread."""
        asyncio.run_coroutine_threadsafe(self._close_all(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _serve(self) -> asyncio.Server:
        self._flowing.set()
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self._server

    async def _switch(self, mode: Mode) -> None:
        log.warning("chaos proxy :%d -> :%d now %s", self.port, self.upstream_port, mode)
        self.mode = mode
        self.stats.modes.append(mode.value)
        if mode == Mode.STALL:
            self._flowing.clear()
        else:
            self._flowing.set()
        if mode == Mode.RESET:
            for writer in list(self._writers):
                self._reset(writer)

    async def _play(self, phases: Sequence[tuple[Mode, float]]) -> None:
        for mode, seconds in phases:
            await self._switch(mode)
            await asyncio.sleep(seconds)  # the phase lasts this long: the fault itself, not a sync point
        await self._switch(Mode.PASS)

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self.stats.connections += 1
        if self.mode == Mode.RESET:
            self._reset(client_w)
            return
        try:
            upstream_r, upstream_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            self._reset(client_w)
            return
        self._writers |= {client_w, upstream_w}
        await asyncio.gather(self._pipe(client_r, upstream_w), self._pipe(upstream_r, client_w))
        for writer in (client_w, upstream_w):
            self._writers.discard(writer)
            writer.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                await self._flowing.wait()
                if self.mode == Mode.DELAY:
                    self.stats.delayed += 1
                    await asyncio.sleep(self.delay_s)  # the injected latency
                self.stats.chunks += 1
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            if not writer.is_closing():
                writer.close()

    def _reset(self, writer: asyncio.StreamWriter) -> None:
        """Abort with a TCP RST (SO_LINGER 0), as a dropped connection looks to the peer."""
        sock: socket.socket | None = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.stats.resets += 1
        self._writers.discard(writer)
        writer.transport.abort()

    async def _close_all(self) -> None:
        self._flowing.set()
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
