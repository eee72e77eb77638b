"""The load mix draws everything from per-user generators seeded per run: two runs ask for the same work."""

from __future__ import annotations

import collections
import random
from dataclasses import dataclass, field

from load.draws import Draws, paced, pick
from load.models import next_cube


def draws(rng: random.Random) -> list[float]:
    return [rng.random() for _ in range(5)]


def test_the_nth_user_of_a_kind_draws_the_same_in_every_run_with_the_seed() -> None:
    first, second = Draws(7), Draws(7)
    run_1 = [draws(first.for_user("Customer")) for _ in range(3)]
    run_2 = [draws(second.for_user("Customer")) for _ in range(3)]
    assert run_1 == run_2
    assert len({tuple(d) for d in run_1}) == 3, "users of one run draw differently"
    assert draws(Draws(8).for_user("Customer")) != run_1[0], "another seed, other draws"
    assert draws(Draws(7).for_user("BulkBuyer")) != run_1[0], "another kind, other draws"
    assert draws(Draws(7, worker=1).for_user("Customer")) != run_1[0], "another load process, other draws"


def test_same_draws_give_the_same_part_in_new_bytes() -> None:
    (name_1, data_1), (name_2, data_2) = next_cube(random.Random(3)), next_cube(random.Random(3))
    assert abs(float(name_1[5:-4]) - float(name_2[5:-4])) < 1e-3, "same size to the slicer"
    assert data_1 != data_2, "a new file: nothing priced before is reused"


@dataclass
class User:
    rng: random.Random
    done: list[str] = field(default_factory=list)

    def new(self) -> None:
        self.done.append("new")

    def again(self) -> None:
        self.done.append("again")


def test_think_times_and_chores_come_from_the_user_s_generator_by_weight() -> None:
    wait_time = paced(15, 45)
    runs = []
    for _ in range(2):
        user = User(random.Random(11))
        waits = []
        for _ in range(400):
            pick(user.rng, {user.new: 3, user.again: 1})()
            waits.append(wait_time(user))
        runs.append((user.done, waits))
    assert runs[0] == runs[1]
    done, waits = runs[0]
    counts = collections.Counter(done)
    assert 2.4 < counts["new"] / counts["again"] < 3.8, "weights 3:1"
    assert 15 <= min(waits) < 20 and 40 < max(waits) <= 45
