"""can-i-deploy, answered by this run: every committed pact has a provider verification, and it passed.

With a Pact Broker the same question is `pact-broker can-i-deploy` (README, "Contracts"); here the committed
pacts are the matrix and this run's provider tests are the verification results.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.conftest import VERIFICATIONS, pact_params
from contracts.http import labels
from contracts.pacts import PACTS, pact_files

pytestmark = [*labels("can-i-deploy"), pytest.mark.can_i_deploy]

WHOLE_SUITE = "run the whole contracts suite (`qa run contracts`, or `pytest contracts --ignore contracts/fuzz`)"


def _names(paths: set[Path]) -> list[str]:
    return sorted(str(p.relative_to(PACTS)) for p in paths)


def test_every_committed_pact_has_a_provider_verification(request: pytest.FixtureRequest) -> None:
    committed = {p.resolve() for p in pact_files(PACTS)}
    collected = {pact for item in request.session.items for pact in pact_params(item)}
    unverified = committed - collected
    assert committed, "no committed pacts under contracts/pacts/"
    assert not unverified, f"pacts no provider test verifies in this run: {_names(unverified)}; {WHOLE_SUITE}"


def test_every_committed_pact_was_verified_at_this_commit(request: pytest.FixtureRequest) -> None:
    results = request.config.stash[VERIFICATIONS]
    committed = {p.resolve() for p in pact_files(PACTS)}
    failed = {pact for (pact, _), passed in results.items() if not passed}
    passed = {pact for (pact, _), ok in results.items() if ok}
    not_verified = committed - (passed - failed)
    failing = sorted(test for (pact, test), ok in results.items() if not ok and pact in committed)
    assert not not_verified, (
        f"cannot deploy: {_names(not_verified)} not verified by a passing provider test in this run "
        f"(failing: {failing or 'none ran'}); {WHOLE_SUITE}"
    )
