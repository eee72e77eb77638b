"""The mix's random draws: one generator per virtual user, seeded per run, so two runs ask for the same work.

Locust draws think times and tasks from the global generator, shared by every user in an order that depends on
timing; the mix draws them here instead (load/locustfile.py). Kept free of Locust so it is testable without
gevent's monkey-patching.
"""

from __future__ import annotations

import collections
import random
from collections.abc import Callable
from typing import Protocol


class Drawing(Protocol):
    rng: random.Random


class Draws:
    """The generators of one load process: the n-th user of a kind draws the same sequence in every run."""

    def __init__(self, seed: int, worker: int = 0) -> None:
        self.seed = seed
        self.worker = worker
        self._spawned: collections.Counter[str] = collections.Counter()

    def for_user(self, kind: str) -> random.Random:
        """The generator of the next user of `kind`."""
        self._spawned[kind] += 1
        return random.Random(f"{self.seed}/{self.worker}/{kind}/{self._spawned[kind]}")


def paced(low: float, high: float) -> Callable[[Drawing], float]:
    """A Locust `wait_time`: think time between tasks from the user's own generator."""
    return lambda user: user.rng.uniform(low, high)


def pick(rng: random.Random, chores: dict[Callable[[], None], int]) -> Callable[[], None]:
    """One of the chores, drawn by weight."""
    return rng.choices(list(chores), list(chores.values()))[0]
