"""The step profile's shape: users raised stair by stair; each stair's window is measured, and the run stops
once a stair breaks the SLO (the stair before it is the answer). Loaded beside the locustfile only for `step`."""

from __future__ import annotations

from locust import LoadTestShape

from load.hooks import counters
from load.profiles import PROFILES, SLO
from load.steps import Counters, Window


class StepShape(LoadTestShape):
    """Raises users through the step profile's stairs; `windows` holds each finished stair."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.windows: list[Window] = []
        self._index = -1
        self._since = 0.0
        self._start: Counters | None = None

    def tick(self) -> tuple[int, float] | None:
        assert self.runner is not None
        options = self.runner.environment.parsed_options
        profile = PROFILES[options.load_profile if options else "step"]
        steps = profile.steps
        now = self.get_run_time()  # type: ignore[no-untyped-call]
        index, edge = 0, steps[0].seconds
        while index < len(steps) - 1 and now >= edge:
            index += 1
            edge += steps[index].seconds
        if now >= edge:
            index = len(steps)  # past the last stair
        if index != self._index:
            snapshot = counters(self.runner.environment)
            if self._start is not None:
                stair = steps[self._index]
                window = Window.between(stair.users, now - self._since, self._start, snapshot)
                self.windows.append(window)
                if not window.within(SLO):
                    return None  # this stair broke the SLO: the search is over
            self._index, self._since, self._start = index, now, snapshot
        if index >= len(steps):
            return None
        return steps[index].users, profile.spawn_rate
