"""Pytest plugin: HTTP clients for the services of the running stack, signed-in sessions, and model uploads."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from system.crm.seed import DEMO_ACCOUNTS
from system.stack.stack import Stack
from tests.fixtures import meshes

DEMO_PASSWORD = "demo"


def upload(
    files: httpx.Client, data: bytes, name: str = "part.stl", declared: int | None = None, *, who: dict[str, str]
) -> httpx.Response:
    """The whole client side of an upload for the account `who` signs in as: ask for URLs, PUT the bytes (in
    parts if told to), complete."""
    size = len(data) if declared is None else declared
    started = files.post("/files/uploads", json={"filename": name, "size": size}, headers=who)
    if started.status_code != 201:
        return started
    ticket = started.json()
    parts = []
    if ticket["url"] is not None:
        httpx.put(ticket["url"], content=data, timeout=60).raise_for_status()
    else:
        size = ticket["part_size"]
        for part in ticket["parts"]:
            n = part["part_number"]
            put = httpx.put(part["url"], content=data[(n - 1) * size : n * size], timeout=60)
            put.raise_for_status()
            parts.append({"part_number": n, "etag": put.headers["etag"]})
    return files.post(ticket["complete_url"], json={"parts": parts}, headers=who)


def wait_for(check: Callable[[], Any], *, within: float, what: str, every: float = 0.2) -> Any:
    """Call `check` until it returns something truthy; return it, or fail naming `what` after `within` s."""
    deadline = time.monotonic() + within
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        time.sleep(every)
    return result


def _client(stack: Stack, port: int) -> httpx.Client:
    return httpx.Client(base_url=stack.settings.url(port), timeout=30)


@pytest.fixture(scope="session")
def files_api(stack: Stack) -> Iterator[httpx.Client]:
    """The File Service through HAProxy."""
    with _client(stack, stack.settings.files_port) as client:
        yield client


@pytest.fixture(scope="session")
def crm_api(stack: Stack) -> Iterator[httpx.Client]:
    with _client(stack, stack.settings.crm_port) as client:
        yield client


@pytest.fixture(scope="session")
def mes_api(stack: Stack) -> Iterator[httpx.Client]:
    with _client(stack, stack.settings.mes_port) as client:
        yield client


def sign_in(crm: httpx.Client, email: str) -> dict[str, str]:
    """Authorization headers for a demo account."""
    response = crm.post("/auth/login", json={"email": email, "password": DEMO_PASSWORD})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture(scope="session")
def b2c(crm_api: httpx.Client) -> dict[str, str]:
    return sign_in(crm_api, DEMO_ACCOUNTS[0].email)


@pytest.fixture(scope="session")
def b2b(crm_api: httpx.Client) -> dict[str, str]:
    return sign_in(crm_api, DEMO_ACCOUNTS[1].email)


@pytest.fixture(scope="session")
def operator(crm_api: httpx.Client) -> dict[str, str]:
    return sign_in(crm_api, DEMO_ACCOUNTS[2].email)


@pytest.fixture
def model(files_api: httpx.Client, tmp_path: Path) -> Callable[..., dict[str, Any]]:
    """Upload, as the account `who` signs in as, a cube STL of a given edge length (mm); return its record."""

    def make(size: float, who: dict[str, str]) -> dict[str, Any]:
        data = meshes.write_cube_binary(tmp_path / f"cube-{size}.stl", size).read_bytes()
        response = upload(files_api, data, f"cube-{size}.stl", who=who)
        assert response.status_code in (200, 201), response.text
        return dict(response.json())

    return make
