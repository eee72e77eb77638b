"""The `load` suite (`qa run load`, `qa gate`): runs a Locust profile headless against the APIs, then writes
Allure results and figures for the gate.

The profile follows the gate's (QA_PROFILE: pr -> smoke, release -> release, nightly -> soak; anything else
smoke); LOAD_PROFILE or --profile overrides it. Exit code: Locust's, set by the thresholds (0 all held, 1 one
failed); 2 when the run could not happen.

Beyond one machine (--workers, LOAD_WORKERS) the suite runs Locust as a master that waits for that many
workers started elsewhere with `worker_command` (the compose file's and Kubernetes' load generator, README
"Load beyond one machine"): the workers take the users, the options and the seed from the master.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from load import report, thresholds
from load.profiles import QUOTE_WITHIN_S, LoadProfile, ProfileError, select
from pipelines.allure import AllureWriter
from pipelines.paths import DEFAULT_POLICY, default_runs_dir
from system.stack.settings import StackSettings

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
STEP_SHAPE = Path(__file__).with_name("step_shape.py")
# Where `load` imports from: Locust runs from here (the repository, or /app in the load image).
LOAD_ROOT = Path(__file__).resolve().parents[1]
MASTER_PORT = 5557  # Locust's default; a deployment's Service for the master names it too
# A master gives up (and the run is broken, exit 2) when its workers have not all connected by then.
WORKERS_WAIT_S = 300
# Beyond following its last order to the quote, a stopping user may still confirm or cancel it.
STOP_MARGIN_S = 15.0


def locust_command(
    profile: LoadProfile,
    files: report.Artifacts,
    urls: tuple[str, str, str],
    limits: str,
    *,
    users: int | None = None,
    run_time: int | None = None,
    processes: int | None = None,
    workers: int | None = None,
    trace_ratio: float | None = None,
    seed: int | None = None,
) -> list[str]:
    """The Locust command line for a profile (a stepped one leaves users and time to its shape)."""
    locustfiles = f"{LOCUSTFILE},{STEP_SHAPE}" if profile.stepped else str(LOCUSTFILE)
    cmd = [*_locust(locustfiles, sys.executable), "--headless", "--only-summary"]
    if not profile.stepped:
        users = users or profile.users
        cmd += [
            "-u",
            str(users),
            "-r",
            str(min(profile.spawn_rate, users)),
            "--run-time",
            f"{run_time or profile.run_time_s}s",
        ]
    cmd += ["--stop-timeout", f"{QUOTE_WITHIN_S + STOP_MARGIN_S:g}"]
    cmd += ["--csv", str(files.prefix), "--csv-full-history", "--html", str(files.html), "--logfile", str(files.log)]
    crm, file_service, mes = urls
    cmd += ["--crm-url", crm, "--files-url", file_service, "--mes-url", mes, "--load-profile", profile.name]
    cmd += ["--thresholds-json", limits, "--summary", str(files.summary)]
    cmd += ["--trace-ratio", str(profile.trace_ratio if trace_ratio is None else trace_ratio)]
    cmd += ["--seed", str(profile.seed if seed is None else seed)]
    if processes:
        cmd += ["--processes", str(processes)]
    if workers:
        cmd += master_options(workers)
    return cmd


def _locust(locustfiles: str, python: str) -> list[str]:
    return [python, "-m", "locust", "-f", locustfiles]


def master_options(workers: int, port: int = MASTER_PORT) -> list[str]:
    """Locust's options for a master that runs the profile once `workers` workers elsewhere have connected."""
    return ["--master", "--master-bind-port", str(port), "--expect-workers", str(workers),
            "--expect-workers-max-wait", str(WORKERS_WAIT_S)]  # fmt: skip


def worker_command(
    master_host: str, *, port: int = MASTER_PORT, python: str = sys.executable, locustfile: Path = LOCUSTFILE
) -> list[str]:
    """A Locust worker of the mix: the master sends it users, the suite's options and the seed (a stepped
    profile's shape runs in the master alone)."""
    return [*_locust(str(locustfile), python), "--worker", "--master-host", master_host, "--master-port", str(port)]


def _urls(crm: str | None, files: str | None, mes: str | None) -> tuple[str, str, str]:
    target = os.environ.get("QA_TARGET")
    if target and not (crm and files and mes):
        raise typer.BadParameter(
            f"the gate targets {target}: give the APIs' URLs with LOAD_CRM_URL, LOAD_FILES_URL and LOAD_MES_URL"
        )
    s = StackSettings()
    return crm or s.url(s.crm_port), files or s.url(s.files_port), mes or s.url(s.mes_port)


def _paths(out: Path | None) -> tuple[Path, Path, Path]:
    """The run folder, Allure results folder and metrics file (the gate's, or under `out` when run by hand)."""
    run_dir = Path(os.environ.get("QA_RUN_DIR") or out or default_runs_dir() / f"load-{time.strftime('%Y%m%d-%H%M%S')}")
    results = Path(os.environ.get("QA_ALLURE_RESULTS") or run_dir / "allure-results")
    metrics_file = Path(os.environ.get("QA_METRICS") or run_dir / "metrics.json")
    return run_dir, results, metrics_file


def main(
    profile_name: Annotated[
        str | None, typer.Option("--profile", envvar="LOAD_PROFILE", help="smoke|release|soak|step")
    ] = None,
    users: Annotated[int | None, typer.Option(envvar="LOAD_USERS", help="override the profile's users")] = None,
    run_time: Annotated[int | None, typer.Option(envvar="LOAD_RUN_TIME", help="override the run time (s)")] = None,
    processes: Annotated[
        int | None, typer.Option(envvar="LOAD_PROCESSES", help="Locust worker processes on this machine")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(envvar="LOAD_WORKERS", min=1, help="run as the master of this many workers on other machines"),
    ] = None,
    trace_ratio: Annotated[
        float | None,
        typer.Option(envvar="LOAD_TRACE_RATIO", min=0.0, max=1.0, help="override the share of traced requests"),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(envvar="LOAD_SEED", help="override the seed of the mix's random draws")
    ] = None,
    threshold: Annotated[
        list[str] | None,
        typer.Option(
            envvar="LOAD_THRESHOLDS", help="an extra limit, METRIC<=N or METRIC>=N (repeatable; env: space-separated)"
        ),
    ] = None,
    crm_url: Annotated[str | None, typer.Option(envvar="LOAD_CRM_URL")] = None,
    files_url: Annotated[str | None, typer.Option(envvar="LOAD_FILES_URL")] = None,
    mes_url: Annotated[str | None, typer.Option(envvar="LOAD_MES_URL")] = None,
    policy: Annotated[Path, typer.Option(help="the gate policy whose load thresholds apply")] = DEFAULT_POLICY,
    out: Annotated[
        Path | None, typer.Option(help="run folder when not run by `qa` (default reports/runs/load-*)")
    ] = None,
) -> None:
    """Run one load profile headless and report it to the gate."""
    try:
        profile = select(os.environ.get("QA_PROFILE"), profile_name)
        extra = [thresholds.parse(t) for t in threshold or []]
    except (ProfileError, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from exc
    if processes and workers:
        raise typer.BadParameter("--processes and --workers exclude each other: a Locust master forks no workers")
    limits = thresholds.for_profile(profile, policy, extra)
    run_dir, results, metrics_file = _paths(out)
    files = report.Artifacts(run_dir / "load")
    files.folder.mkdir(parents=True, exist_ok=True)
    files.summary.unlink(missing_ok=True)
    cmd = locust_command(
        profile, files, _urls(crm_url, files_url, mes_url), thresholds.dumps(limits),
        users=users, run_time=run_time, processes=processes, workers=workers, trace_ratio=trace_ratio, seed=seed,
    )  # fmt: skip
    print(f"load profile {profile.name}: {profile.description}", flush=True)
    print(f"  traced: {profile.trace_ratio if trace_ratio is None else trace_ratio:.0%} of requests", flush=True)
    print(f"  seed: {profile.seed if seed is None else seed}", flush=True)
    if workers:
        print(f"  master of {workers} workers on port {MASTER_PORT}", flush=True)
    for limit in limits:
        print(f"  threshold {limit.metric} {limit.text}", flush=True)
    started = time.time()
    code = subprocess.run(cmd, cwd=LOAD_ROOT, check=False).returncode
    writer = AllureWriter(results, os.environ.get("QA_SUITE", "load"))
    if not files.summary.is_file():  # Locust never reached its quitting hook: nothing was measured
        tail = files.log.read_text()[-4000:] if files.log.is_file() else ""
        writer.test(
            f"load profile {profile.name}", "broken", message=f"Locust exited {code} without a summary", trace=tail
        )
        raise typer.Exit(2)
    summary = json.loads(files.summary.read_text())
    report.write(summary, files, writer, started)
    report.record(summary, metrics_file)
    for verdict in summary["thresholds"]:
        print(
            f"  {'ok    ' if verdict['passed'] else 'FAILED'} {verdict['metric']} = {verdict['measured']}", flush=True
        )
    print(f"results: {results}\nmetrics: {metrics_file}\nLocust report: {files.html}", flush=True)
    raise typer.Exit(code)


if __name__ == "__main__":
    typer.run(main)
