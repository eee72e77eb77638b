"""The fault proxy on real loopback sockets: what it forwards, holds back and resets."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator

import pytest

from chaos.proxy import FaultProxy, Mode


class Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(4096):
            self.request.sendall(data)


@pytest.fixture
def proxy() -> Iterator[FaultProxy]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fault = FaultProxy(server.server_address[1], delay_s=0.05)
    fault.start()
    yield fault
    fault.stop()
    server.shutdown()


def connect(proxy: FaultProxy) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    return sock


def echo(sock: socket.socket, data: bytes) -> bytes:
    sock.sendall(data)
    received = b""
    while len(received) < len(data):
        if not (chunk := sock.recv(4096)):
            raise ConnectionAbortedError("closed without a reset")
        received += chunk
    return received


def test_it_forwards_both_ways_and_delays_every_chunk_when_told(proxy: FaultProxy) -> None:
    with connect(proxy) as sock:
        assert echo(sock, b"hello") == b"hello" and proxy.stats.delayed == 0
        proxy.set_mode(Mode.DELAY)
        assert echo(sock, b"slowly") == b"slowly"
    assert proxy.stats.delayed == 2  # the request and the echo
    assert proxy.stats.connections == 1


def test_a_stall_holds_the_data_back_without_losing_it(proxy: FaultProxy) -> None:
    with connect(proxy) as sock:
        proxy.set_mode(Mode.STALL)
        sock.sendall(b"held")
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            sock.recv(4096)  # nothing comes through while stalled
        proxy.set_mode(Mode.PASS)
        sock.settimeout(5)
        assert sock.recv(4096) == b"held"


def test_reset_drops_open_connections_and_refuses_new_ones_with_a_rst(proxy: FaultProxy) -> None:
    with connect(proxy) as open_before:
        assert echo(open_before, b"x") == b"x"
        proxy.set_mode(Mode.RESET)
        with pytest.raises((ConnectionResetError, BrokenPipeError)):  # which one depends on timing: both a RST
            echo(open_before, b"y")
    with pytest.raises((ConnectionResetError, BrokenPipeError)), connect(proxy) as new:  # the RST may beat connect()
        echo(new, b"z")
    assert proxy.stats.resets >= 3  # both ends of the open connection, then the new one


def test_the_phases_play_in_order_and_end_in_pass(proxy: FaultProxy) -> None:
    proxy.play([(Mode.STALL, 0.1), (Mode.DELAY, 0.1)])
    deadline = time.monotonic() + 10
    while len(proxy.stats.modes) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)  # polling the proxy's record of its modes, bounded by the deadline
    assert proxy.stats.modes == ["stall", "delay", "pass"] and proxy.mode == Mode.PASS
    with connect(proxy) as sock:
        assert echo(sock, b"ok") == b"ok"
