"""The message contracts need no stack; Pact's FFI must not try to phone home from a machine without a network."""

from __future__ import annotations

import os

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
