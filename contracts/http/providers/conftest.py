"""Fixtures of the provider verification: the running providers and the provider-state endpoint.

The providers are the local stack's (the session `stack` fixture uses a running stack; it starts one only if
none is up, and then stops it again). A state is set up through the services' own APIs on that stack.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from contracts.http.providers.state_server import StateServer, serving
from contracts.http.providers.states import World, states
from system.stack.stack import Stack

PORTS = {"crm": "crm_port", "files": "files_port", "mes": "mes_port"}  # provider -> StackSettings port field


@pytest.fixture(scope="session")
def providers(request: pytest.FixtureRequest) -> dict[str, str]:
    """Base URL of each provider (through HAProxy), by its pact name."""
    if os.environ.get("QA_TARGET"):
        pytest.fail(
            f"QA_TARGET is {os.environ['QA_TARGET']}: provider states are set up on the local stack (its token "
            "secret, its demo accounts), so HTTP provider verification runs against the local stack only",
            pytrace=False,
        )
    stack: Stack = request.getfixturevalue("stack")
    return {name: stack.settings.url(getattr(stack.settings, port)) for name, port in PORTS.items()}


@pytest.fixture(scope="session")
def provider_states(providers: dict[str, str], request: pytest.FixtureRequest) -> Iterator[StateServer]:
    """The endpoint the verifier asks to set up each provider state."""
    stack: Stack = request.getfixturevalue("stack")
    world = World(providers, stack.settings.auth_secret, stack.settings.database_url("crm"))
    handlers = states(world)

    def handle(name: str) -> dict[str, str]:
        if name == "":  # an interaction without a state: Pact still asks for its generic set-up
            return {}
        if name not in handlers:
            raise LookupError(f"no provider state {name!r} in contracts/http/providers/states.py")
        return handlers[name]()

    def tear_down(name: str) -> None:
        world.tear_down()  # what the states set up since the last teardown, whichever state is named

    try:
        with serving(handle, tear_down) as server:
            yield server
    finally:
        try:
            world.tear_down()  # a verification that stopped before its teardowns
        finally:
            world.close()
