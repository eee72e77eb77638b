"""Fixed example values for the message pacts: the same pact file on every run, so drift is visible."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pact import match

from system.kernel.messaging.catalogue import Material, Process, Unit

ORDER_ID = "4a7e3c10-5b2d-4e8f-a1c6-9d0b2e7f3a15"
CUSTOMER_ID = "0c9b1d2e-3f4a-4b5c-8d6e-7f8091a2b3c4"
JOB_ID = "7d2e4f60-1a3b-4c5d-9e8f-0a1b2c3d4e5f"
LINE_ID = "2b4d6f80-9a1c-4e3d-8b5f-6a7c8d9e0f12"
FILE_ID = "5e6f7081-92a3-4b4c-9d5e-6f708192a3b4"
SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
DECIMAL = r"^-?\d+(\.\d+)?$"  # pydantic writes a Decimal as a JSON string


def uuid_(value: str) -> Any:
    """Any UUID, like `value`."""
    return match.uuid(value)


def decimal(value: str) -> Any:
    """A decimal number written as a string, like `value`."""
    return match.regex(value, regex=DECIMAL)


def text(value: str) -> Any:
    """Any string, like `value`."""
    return match.like(value)


def order_ref() -> dict[str, Any]:
    """The payload of the events that only name their order."""
    return {"order_id": uuid_(ORDER_ID)}


def job_ref() -> dict[str, Any]:
    """The ids of a pricing job's events."""
    return {"job_id": uuid_(JOB_ID), "order_id": uuid_(ORDER_ID)}


def one_of(values: type[StrEnum]) -> Any:
    """One of the values the consumer's enum knows (a value it does not know, it rejects)."""
    known = [v.value for v in values]
    return match.regex(known[0], regex=f"^({'|'.join(known)})$")


def order_line() -> dict[str, Any]:
    """An order line as MES and the pricing workers read it: every field goes into the price."""
    return {
        "line_id": uuid_(LINE_ID),
        "file_id": uuid_(FILE_ID),
        "sha256": match.regex(SHA256, regex=r"^[0-9a-f]{64}$"),
        "material": one_of(Material),
        "process": one_of(Process),
        "quantity": match.integer(3),
        "lead_time_days": match.integer(7),
        "unit": one_of(Unit),
    }


def customer_kind() -> Any:
    """B2C or B2B: the pricing rules depend on it."""
    return match.regex("b2b", regex="^(b2c|b2b)$")
