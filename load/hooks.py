"""What the Locust process adds to Locust: the suite's options, and the quitting hook that judges the run.

The hook runs in the master (or the only) process, reads the final stats from the environment (the last CSV
row can lag), computes the figures, checks the thresholds, writes the summary the suite reports from, and sets
the exit code: 1 when a threshold failed, 0 otherwise.
"""

from __future__ import annotations

import json
import logging
import random
import time
import weakref
from pathlib import Path
from typing import Any

from locust.argument_parser import LocustArgumentParser
from locust.env import Environment
from locust.runners import WorkerRunner
from locust.stats import StatsEntry

from load import thresholds
from load.draws import Draws
from load.figures import ORDERS, QUOTE, Endpoint, figures
from load.profiles import SLO
from load.steps import Counters, max_sustained

log = logging.getLogger("load")


def add_options(parser: LocustArgumentParser) -> None:
    """The suite's own options (workers receive them from the master too)."""
    parser.add_argument("--crm-url", default="http://127.0.0.1:8020", help="CRM base URL")
    parser.add_argument("--files-url", default="http://127.0.0.1:8010", help="File Service base URL")
    parser.add_argument("--mes-url", default="http://127.0.0.1:8030", help="MES base URL")
    parser.add_argument("--password", default="demo", help="password of the demo accounts")
    parser.add_argument("--load-profile", default="smoke", help="load profile (the step shape reads its steps)")
    parser.add_argument("--thresholds-json", default="[]", help="limits to judge the run by (load.thresholds.dumps)")
    parser.add_argument("--summary", default="", help="where to write the run's summary JSON")
    parser.add_argument(
        "--trace-ratio", type=float, default=1.0, help="share of requests the services trace (head sampling)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the mix's random draws (load.profiles)")


_draws: weakref.WeakKeyDictionary[Environment, Draws] = weakref.WeakKeyDictionary()


def user_rng(environment: Environment, kind: str) -> random.Random:
    """The seeded generator of the next user of `kind` in this load process (load/draws.py)."""
    if environment not in _draws:
        seed = environment.parsed_options.seed if environment.parsed_options is not None else 1
        _draws[environment] = Draws(seed, getattr(environment.runner, "worker_index", 0))
    return _draws[environment].for_user(kind)


def endpoint(entry: StatsEntry) -> Endpoint:
    """A Locust stats entry as the pure figures code sees it."""
    return Endpoint(entry.name, entry.method or "", entry.num_requests, entry.num_failures, dict(entry.response_times))


def counters(environment: Environment) -> Counters:
    """The cumulative counters the step windows are differences of."""
    entries = [endpoint(e) for e in environment.stats.entries.values()]
    http = [e for e in entries if e.method != QUOTE]
    latency: dict[int, int] = {}
    quote: dict[int, int] = {}
    for e in entries:
        target = quote if e.method == QUOTE else latency
        for value, count in e.histogram.items():
            target[value] = target.get(value, 0) + count
    return Counters(
        requests=sum(e.requests for e in http),
        failures=sum(e.failures for e in http),
        orders=sum(e.requests - e.failures for e in http if (e.method, e.name) == ORDERS),
        latency=latency,
        quote=quote,
    )


# When the run time ran out: from then on users only finish the order they follow (the stop timeout).
_stopping_at: weakref.WeakKeyDictionary[Environment, float] = weakref.WeakKeyDictionary()


def on_stopping(environment: Environment, **_: Any) -> None:
    """Note the end of the placing window (master/local: where the run is judged)."""
    _stopping_at[environment] = time.time()


def on_quitting(environment: Environment) -> None:
    """Judge the run (master/local only: workers have no final stats)."""
    if isinstance(environment.runner, WorkerRunner) or environment.parsed_options is None:
        return
    options = environment.parsed_options
    stats = environment.stats
    entries = [endpoint(e) for e in stats.entries.values()]
    last = stats.total.last_request_timestamp or time.time()
    # Rates are over the placing window; the users' last quotes, followed past it, are in the percentiles.
    ended = min(last, _stopping_at.get(environment, last))
    seconds = max(0.0, ended - stats.total.start_time)
    measured = figures(entries, seconds)
    measured["load.drain_s"] = max(0.0, last - ended)
    windows = list(getattr(environment.shape_class, "windows", []))
    if windows:
        best = max_sustained(windows, SLO)
        measured["load.max_sustained_orders_per_s"] = best.orders_per_s if best else 0.0
    verdicts = thresholds.evaluate(measured, thresholds.loads(options.thresholds_json))
    for verdict in verdicts:
        log.info("threshold %s", verdict.text)
    environment.process_exit_code = 0 if all(v.passed for v in verdicts) else 1
    if options.summary:
        summary: dict[str, Any] = {
            "profile": options.load_profile,
            "trace_ratio": options.trace_ratio,
            "seed": options.seed,
            "seconds": seconds,
            "endpoints": [
                {
                    "label": e.label,
                    "name": e.name,
                    "method": e.method,
                    "requests": e.requests,
                    "failures": e.failures,
                    "p50_ms": e.percentile(50),
                    "p95_ms": e.percentile(95),
                    "p99_ms": e.percentile(99),
                }
                for e in sorted(entries, key=lambda e: e.label)
            ],
            "errors": [
                {"label": f"{e.method} {e.name}", "error": e.error, "occurrences": e.occurrences}
                for e in stats.errors.values()
            ],
            "figures": measured,
            "thresholds": [
                {
                    "metric": v.threshold.metric,
                    "op": v.threshold.op,
                    "limit": v.threshold.limit,
                    "description": v.threshold.description,
                    "measured": v.measured,
                    "passed": v.passed,
                }
                for v in verdicts
            ],
            "steps": [w.as_dict() for w in windows],
            "slo": {"p95_ms": SLO.p95_ms, "quote_p95_ms": SLO.quote_p95_ms, "error_rate": SLO.error_rate},
        }
        Path(options.summary).write_text(json.dumps(summary, indent=1, default=str))
