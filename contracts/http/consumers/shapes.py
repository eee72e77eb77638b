"""Matchers for what consumers read: ids, times, money, and values the provider state supplies."""

from __future__ import annotations

import re

from pact import generate, match
from pact.match.matcher import AbstractMatcher, GenericMatcher

UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
ISO_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$"
# Decimals travel as JSON strings (pydantic), so money is a string of digits.
MONEY = r"^-?\d+(\.\d+)?$"
SHA256 = r"^[0-9a-f]{64}$"

# Example values the mock server answers with; the provider's real values only have to match the rules.
ORDER_ID = "3f2a9c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f"
FILE_ID = "8d7c6b5a-4e3f-4a2b-9c1d-0e1f2a3b4c5d"
JOB_ID = "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e"
ACCOUNT_ID = "00000000-0000-4000-8000-00000000c001"
LINE_ID = "c4d5e6f7-a8b9-4c0d-8e1f-2a3b4c5d6e7f"
WHEN = "2026-11-29T10:15:30.123456Z"
DIGEST = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
TOKEN = "token-from-the-provider-state"


def uuid(example: str = ORDER_ID) -> AbstractMatcher[str]:
    """A lower-case UUID."""
    return match.regex(example, regex=f"^{UUID}$")


def time(example: str = WHEN) -> AbstractMatcher[str]:
    """An ISO 8601 timestamp."""
    return match.regex(example, regex=ISO_TIME)


def money(example: str = "42.50") -> AbstractMatcher[str]:
    """A decimal amount, as a string."""
    return match.regex(example, regex=MONEY)


def sha256(example: str = DIGEST) -> AbstractMatcher[str]:
    """A hex SHA-256 digest."""
    return match.regex(example, regex=SHA256)


def given(name: str, example: str, regex: str = f"^{UUID}$") -> AbstractMatcher[str]:
    """A value the provider state supplies (`${name}`), e.g. the id of an order it created."""
    return GenericMatcher("regex", example, regex=regex, generator=generate.provider_state(f"${{{name}}}"))


def path(template: str, **examples: str) -> AbstractMatcher[str]:
    """A path whose `{name}` parts are ids the provider state supplies: `path("/orders/{order_id}", order_id=ID)`."""
    names = re.findall(r"{(\w+)}", template)
    pattern = "^" + re.escape(template).replace(r"\{", "{").replace(r"\}", "}").format(**dict.fromkeys(names, UUID))
    expression = template.format(**{n: f"${{{n}}}" for n in names})
    return GenericMatcher(
        "regex", template.format(**examples), regex=pattern + "$", generator=generate.provider_state(expression)
    )


def bearer(name: str = "token") -> AbstractMatcher[str]:
    """An Authorization header with the token the provider state signed in (`Bearer ${token}`)."""
    return GenericMatcher(
        "regex", f"Bearer {TOKEN}", regex=r"^Bearer \S+$", generator=generate.provider_state(f"Bearer ${{{name}}}")
    )
