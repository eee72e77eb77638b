"""A locustfile for test_distributed.py: users that only draw from the mix's seeded generators and say so."""

from __future__ import annotations

import json
import os

from locust import User, constant, events, task

from load import hooks

events.init_command_line_parser.add_listener(hooks.add_options)


class Probe(User):
    """Writes its worker's index, the seed it was given and its first draws to $PROBE_OUT, then idles."""

    wait_time = constant(60)

    def on_start(self) -> None:
        rng = hooks.user_rng(self.environment, "Probe")
        options = self.environment.parsed_options
        seen = {
            "worker": self.environment.runner.worker_index,
            "seed": options.seed,
            "draws": [rng.random() for _ in range(3)],
        }
        with open(os.environ["PROBE_OUT"], "a") as out:
            out.write(json.dumps(seen) + "\n")

    @task
    def idle(self) -> None:
        """Nothing: the draws are the point."""
