"""Every committed HTTP pact, and every HTTP pact of the previous release, verified against its running provider.

Parametrised by the files: a pact committed under contracts/pacts/http/ is verified without touching this module
(the can-i-deploy test checks that each one was, in the same run).
"""

from __future__ import annotations

from pathlib import Path

import allure
import pytest
from _pytest.mark import ParameterSet

from contracts.http import labels
from contracts.http.providers.state_server import StateServer
from contracts.http.providers.verify import verify
from contracts.pacts import PACTS, pact_files, read
from contracts.release import previous_pacts, previous_release

pytestmark = labels("providers honour their consumers' pacts")


def _pacts() -> list[ParameterSet]:
    current = [pytest.param(p, id=p.stem) for p in pact_files(PACTS, "http")]
    return current + [pytest.param(p, id=f"release {previous_release()}: {p.stem}") for p in previous_pacts("http")]


@pytest.mark.parametrize("pact_file", _pacts())
def test_provider_honours_the_pact(pact_file: Path, providers: dict[str, str], provider_states: StateServer) -> None:
    pact = read(pact_file)
    consumer, provider = pact["consumer"]["name"], pact["provider"]["name"]
    outcome = verify(pact_file, provider, providers[provider], provider_states.url)
    allure.attach(outcome.output, name="pact verifier output", attachment_type=allure.attachment_type.TEXT)
    states = "\n".join(provider_states.failures)
    assert outcome.passed, (
        f"{provider} does not honour what {consumer} expects ({pact_file}):\n{outcome.output}\n{states}"
    )
