"""The provider-state endpoint the Pact verifier calls before each interaction.

Pact's built-in Python state callback answers with no body; the verifier injects the values a state-change
response returns (JSON) into the request's `ProviderState` generators (`/orders/${order_id}`, `Bearer ${token}`),
so this small server answers with the values the state handler made: ids of what it created, a fresh token.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

StateHandler = Callable[[str], dict[str, str]]  # state name -> the values it provides
TearDown = Callable[[str], None]  # state name -> nothing; called after the interaction was replayed


def _no_tear_down(state: str) -> None:
    pass


def _handler_class(handle: StateHandler, tear_down: TearDown, failures: list[str]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            request: dict[str, Any] = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or "{}")
            state, action = str(request.get("state", "")), str(request.get("action", "setup"))
            teardown = action == "teardown"
            try:
                if teardown:
                    tear_down(state)
                    return self._answer(200, {})
                values = handle(state)
            except Exception as exc:  # the verifier only sees a status: keep the reason for the test's message
                failures.append(f"provider state {state!r} ({action}): {type(exc).__name__}: {exc}")
                return self._answer(500, {"error": str(exc)})
            return self._answer(200, values)

        def _answer(self, status: int, body: dict[str, str]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the verifier's output already names each state

    return Handler


class StateServer:
    """Where the verifier posts state changes; `failures` keeps the reasons of states that could not be set up."""

    def __init__(self, url: str, failures: list[str]) -> None:
        self.url = url
        self.failures = failures


@contextmanager
def serving(handle: StateHandler, tear_down: TearDown = _no_tear_down) -> Iterator[StateServer]:
    """Serve `handle` (set-up) and `tear_down` on a free local port for the duration of the block."""
    failures: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(handle, tear_down, failures))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield StateServer(f"http://127.0.0.1:{server.server_address[1]}/pact-states", failures)
    finally:
        server.shutdown()
        server.server_close()
