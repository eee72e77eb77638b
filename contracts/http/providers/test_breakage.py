"""Readable breakage: a CRM that renames or drops a field the Shop reads fails verification, naming the field.

The broken provider is the real CRM of the stack behind a proxy (here, in the test) that changes one field of
every JSON answer: what a careless refactoring of `OrderOut` would ship. The verifier's report is what a
developer reads, in the test's failure and in Allure.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import allure
import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request, Response

from contracts.http import labels
from contracts.http.providers.state_server import StateServer
from contracts.http.providers.verify import verify
from contracts.pacts import PACTS
from tests.plugins.clients import wait_for

pytestmark = labels("a broken provider fails with a readable message")

Change = Callable[[dict[str, Any]], None]
HOP_BY_HOP = {"host", "content-length", "connection", "transfer-encoding", "content-encoding"}


def renamed(old: str, new: str) -> Change:
    def change(body: dict[str, Any]) -> None:
        if old in body:
            body[new] = body.pop(old)

    return change


def dropped(field: str) -> Change:
    def change(body: dict[str, Any]) -> None:
        body.pop(field, None)

    return change


def broken_crm(crm_url: str, change: Change) -> FastAPI:
    """A proxy to the real CRM that applies `change` to each order (or each item of a list) it answers with."""
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST"])
    async def forward(path: str, request: Request) -> Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        async with httpx.AsyncClient(base_url=crm_url, timeout=30) as crm:
            answer = await crm.request(
                request.method, f"/{path}", params=request.query_params, headers=headers, content=await request.body()
            )
        if "json" not in answer.headers.get("content-type", ""):
            return Response(answer.content, answer.status_code, media_type=answer.headers.get("content-type"))
        body = answer.json()
        for entity in body.get("items", [body]) if isinstance(body, dict) else []:
            change(entity)
        return Response(httpx.Response(200, json=body).content, answer.status_code, media_type="application/json")

    return app


@pytest.fixture
def serve() -> Iterator[Callable[[FastAPI], str]]:
    """Serve an app on a free local port; its base URL."""
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(app: FastAPI) -> str:
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread))
        wait_for(lambda: server.started, within=10, what="the broken provider to listen")
        port = server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.parametrize(
    ("field", "change"),
    [
        pytest.param("total_price", renamed("total_price", "total"), id="total_price renamed to total"),
        pytest.param("state_since", dropped("state_since"), id="state_since dropped"),
    ],
)
def test_a_crm_that_breaks_a_field_fails_verification_naming_it(
    field: str,
    change: Change,
    providers: dict[str, str],
    provider_states: StateServer,
    serve: Callable[[FastAPI], str],
) -> None:
    url = serve(broken_crm(providers["crm"], change))
    outcome = verify(PACTS / "http" / "shop-crm.json", "crm", url, provider_states.url)
    allure.attach(outcome.output, name=f"verifier output: {field} broken", attachment_type=allure.attachment_type.TEXT)
    assert not outcome.passed, "the Shop's pact passed against a CRM that no longer sends " + field
    gist = outcome.mismatches()
    allure.attach("\n".join(gist), name="mismatches", attachment_type=allure.attachment_type.TEXT)
    assert any(f"missing the following keys: {field}" in line for line in gist), "\n".join(gist or [outcome.output])
