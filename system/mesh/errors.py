"""The one error the mesh package raises: a model the customer has to fix before we can print it."""

from __future__ import annotations

CODES = frozenset(
    {
        "empty-file",
        "truncated",
        "triangle-count-mismatch",
        "non-finite-coordinates",
        "unrecognised-format",
        "too-large",
        "no-triangles",
        "malformed-ascii",
        "zip-bomb",
        "invalid-3mf",
    }
)


class InvalidModel(ValueError):
    """An upload is not an acceptable 3D model: `code` is a stable slug, `detail` a sentence for people."""

    def __init__(self, code: str, detail: str) -> None:
        if code not in CODES:  # codes are an API contract (metrics, problem documents): no ad-hoc ones
            raise ValueError(f"unknown InvalidModel code {code!r}")
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


def unrecognised(size: int) -> InvalidModel:
    """The error for content that is none of the formats we read."""
    return InvalidModel(
        "unrecognised-format",
        f"This {size}-byte file is not a 3D model we can read: it is neither a binary or ASCII STL nor a 3MF package.",
    )
