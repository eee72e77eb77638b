"""An Alertmanager webhook receiver owned by the tests: it hears what the stack's Alertmanager notifies."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

# Where system/deploy/alertmanager/alertmanager.yml sends both receivers' notifications on the local stack.
RECEIVER_PORT = 19097


@dataclass(frozen=True)
class Heard:
    """One alert in one notification: its status (firing | resolved), labels, receiver and when it arrived."""

    receiver: str
    status: str
    labels: dict[str, str]
    at: float  # time.monotonic() on arrival


@dataclass
class AlertReceiver:
    """Every alert notified so far, and a poll with a deadline for the one a test waits for."""

    heard: list[Heard] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, notification: dict[str, Any]) -> None:
        now = time.monotonic()
        with self.lock:
            self.heard += [
                Heard(notification["receiver"], a["status"], dict(a["labels"]), now) for a in notification["alerts"]
            ]

    def find(self, alertname: str, status: str, since: float, **labels: str) -> Heard | None:
        """The first alert `alertname` heard with `status` and `labels` at or after `since`."""
        with self.lock:
            for h in self.heard:
                wanted = {"alertname": alertname, **labels}
                if h.status == status and h.at >= since and wanted.items() <= h.labels.items():
                    return h
        return None

    def wait_for(self, alertname: str, status: str, since: float, within: float, **labels: str) -> Heard:
        """Poll until the alert is heard; fail naming what was heard instead after `within` seconds."""
        deadline = time.monotonic() + within
        while (found := self.find(alertname, status, since, **labels)) is None:
            if time.monotonic() > deadline:
                with self.lock:
                    seen = sorted({(h.labels.get("alertname", "?"), h.status) for h in self.heard})
                pytest.fail(f"no {status} {alertname} {labels} within {within:.0f}s; heard {seen or 'nothing'}")
            time.sleep(0.2)
        return found


def _handler(receiver: AlertReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.record(json.loads(body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: the tests report what they heard

    return Handler


@pytest.fixture(scope="session")
def alert_receiver() -> Iterator[AlertReceiver]:
    """The webhook Alertmanager notifies, listening for the whole session."""
    receiver = AlertReceiver()
    server = ThreadingHTTPServer(("127.0.0.1", RECEIVER_PORT), _handler(receiver))
    thread = threading.Thread(target=server.serve_forever, name="alert-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
