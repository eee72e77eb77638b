"""`python -m contracts.pacts update`: regenerate the committed pacts from the consumer tests."""

from __future__ import annotations

import sys

from contracts.pacts import PACTS, consumer_suites, generate, pact_files


def update() -> int:
    """Delete the pacts of every built consumer suite, then run the consumer tests with PACT_DIR=contracts/pacts."""
    built = {suite.parent.name for suite in consumer_suites()}
    for stale in pact_files(PACTS):
        if stale.parent.name in built:
            stale.unlink()  # the consumer tests merge into existing files: start from none
    result = generate(PACTS)
    print(result.stdout[-4000:], result.stderr[-4000:], sep="\n")
    for path in pact_files(PACTS):
        print(path.relative_to(PACTS.parents[1]))
    return result.returncode


def main(argv: list[str]) -> int:
    """The command line: only `update`."""
    if argv != ["update"]:
        print("usage: python -m contracts.pacts update", file=sys.stderr)
        return 2
    return update()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
