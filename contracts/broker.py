"""Where a provider verification reads its pact from, and whether it publishes its result to a Pact Broker."""

from __future__ import annotations

import json
import os
from pathlib import Path

from pact import Verifier


def source(verifier: Verifier, pact_file: Path) -> Verifier:
    """The committed pact file; in the release workflow with a broker (PACT_BROKER_BASE_URL and
    PACT_PROVIDER_VERSION set), that consumer's pact as published from this branch, and the result is published
    (so can-i-deploy knows every pair, HTTP and message alike)."""
    version, branch = os.environ.get("PACT_PROVIDER_VERSION"), os.environ.get("PACT_PROVIDER_BRANCH")
    if not (os.environ.get("PACT_BROKER_BASE_URL") and version):
        return verifier.add_source(pact_file)
    consumer = str(json.loads(pact_file.read_text())["consumer"]["name"])
    selected = verifier.broker_source(selector=True).consumer_version(consumer=consumer, branch=branch).build()
    return selected.set_publish_options(version=version, branch=branch)  # the broker's URL and token from env
