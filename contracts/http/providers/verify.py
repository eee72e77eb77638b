"""One pact file replayed against one running provider by the Pact verifier; the outcome and its report."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pact import Verifier

from contracts.broker import source

# The verifier otherwise reports usage to Pact's servers: nothing leaves this machine.
os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
# "1) Verifying a pact between ...", "1.1) has a matching body", "$.total -> Expected ..." lines of the report.
MISMATCH = re.compile(r"^\s*(\d+\)|\d+\.\d+\)|\$\S* -> )")


@dataclass(frozen=True)
class Outcome:
    """Whether the provider honoured every interaction, and the verifier's report (what a developer reads)."""

    passed: bool
    output: str

    def mismatches(self) -> list[str]:
        """One line per failed interaction and per mismatch, without the body diffs: the gist of the report."""
        failures = self.output.split("\nFailures:", 1)[1] if "\nFailures:" in self.output else ""
        return [line.strip() for line in failures.splitlines() if MISMATCH.match(line)]


def verify(pact_file: Path, provider: str, url: str, states_url: str) -> Outcome:
    """Replay every interaction of `pact_file` against `provider` at `url`, states set up through `states_url`."""
    verifier = (
        source(Verifier(provider, host=urlsplit(url).hostname).add_transport(url=url), pact_file)
        .state_handler(states_url, teardown=True, body=True)
        .set_coloured_output(enabled=False)
        .set_request_timeout(120_000)  # a state may run an order through pricing and production
    )
    try:
        verifier.verify()
    except RuntimeError:
        return Outcome(False, verifier.output(strip_ansi=True))
    return Outcome(True, verifier.output(strip_ansi=True))
