"""Checkpoints of the orientation search: each orientation's slice, kept where any worker finds it again.

A job slices several orientations, minutes each on a large part. After each one the worker stores the result
under a key made of everything that result depends on: the model's content and unit, the process, the material,
the slicer profiles and the slicer's version, then the orientation. A job redelivered after its worker died (on
this host or another) reads them back and slices only what is missing; another order of the same model, process
and material reuses them too. A store that fails is logged and taken as empty: a checkpoint saves time, it never
decides a price.
"""

from __future__ import annotations

import hashlib
import json
from typing import Protocol

from system.kernel.messaging.catalogue import Material, Process, Unit
from system.pricing.build import PROFILES, Build
from system.pricing.slicer import SliceEstimate

FORMAT = 1  # of the stored JSON: part of every key, so a change of format never reads old entries


class Checkpoints(Protocol):
    """Where slices are kept between attempts; both calls swallow and log their own failures."""

    async def get(self, key: str) -> Build | None: ...
    async def put(self, key: str, build: Build) -> None: ...


def search_key(sha256: str, unit: Unit, process: Process, material: Material, slicer_version: str) -> str:
    """The prefix of one search's checkpoints: a digest of everything a slice of this model depends on."""
    parts = (str(FORMAT), sha256, unit.value, process.value, material.value, slicer_version)
    digest = hashlib.sha256("|".join(parts).encode())
    for profile in (PROFILES / f"{process.value}.ini", PROFILES / f"{process.value}-{material.value}.ini"):
        digest.update(profile.read_bytes() if profile.is_file() else b"(none)")
    return digest.hexdigest()


def orientation_key(search: str, orientation: str) -> str:
    """The key of one orientation's slice within a search."""
    return f"{search}/{'-'.join(orientation.split())}"


def encode(build: Build) -> bytes:
    """The stored form of a slice: JSON, so an operator can read it."""
    estimate = build.estimate
    figures = None if estimate is None else [estimate.print_seconds, estimate.material_cm3, estimate.support_cm3]
    return json.dumps({"orientation": build.orientation, "estimate": figures, "refused": build.refused}).encode()


def decode(data: bytes) -> Build | None:
    """A stored slice, or None when the entry is unreadable (it is then sliced again)."""
    try:
        found = json.loads(data)
        figures = found["estimate"]
        estimate = None if figures is None else SliceEstimate(*(float(f) for f in figures))
        return Build(str(found["orientation"]), estimate, str(found["refused"]))
    except (ValueError, KeyError, TypeError):
        return None
