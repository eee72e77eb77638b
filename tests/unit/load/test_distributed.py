"""Locust's distributed mode as the deployments run it: a master (`master_options`) and workers on other
machines (`worker_command`). The workers take the seed from the master and each draws users of its own, the
same way `--processes` does: the n-th user of a kind on worker w draws `seed/w/kind/n` (load/draws.py)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from load import suite
from load.draws import Draws
from load.profiles import PROFILES
from load.report import Artifacts

PROBE = Path(__file__).with_name("distributed_probe.py")
URLS = ("http://crm", "http://files", "http://mes")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _first_draws(draws: Draws) -> tuple[float, ...]:
    """The first three draws of the next user of the probe's kind."""
    rng = draws.for_user("Probe")
    return tuple(rng.random() for _ in range(3))


def _after(cmd: list[str], flag: str) -> str:
    return cmd[cmd.index(flag) + 1]


def test_a_master_waits_for_its_workers_and_a_worker_names_its_master(tmp_path: Path) -> None:
    cmd = suite.locust_command(PROFILES["release"], Artifacts(tmp_path), URLS, "[]", workers=3)
    assert "--master" in cmd and _after(cmd, "--expect-workers") == "3"
    assert _after(cmd, "--master-bind-port") == str(suite.MASTER_PORT) and "--expect-workers-max-wait" in cmd
    assert "--master" not in suite.locust_command(PROFILES["release"], Artifacts(tmp_path), URLS, "[]")
    worker = suite.worker_command("locust-master")
    assert "--worker" in worker and _after(worker, "--master-host") == "locust-master"
    assert _after(worker, "--master-port") == str(suite.MASTER_PORT)
    assert "--seed" not in worker, "the seed travels from the master, or workers would draw another run's work"


def test_a_master_on_its_own_forks_no_workers() -> None:
    with pytest.raises(typer.BadParameter, match="exclude each other"):
        suite.main(processes=2, workers=2)


def test_workers_on_other_machines_take_the_master_s_seed_and_draw_users_of_their_own(tmp_path: Path) -> None:
    port, seed, out = _free_port(), 7, tmp_path / "draws.jsonl"
    env = {**os.environ, "PROBE_OUT": str(out)}
    run = ["--headless", "-u", "6", "-r", "6", "--run-time", "2s", "--seed", str(seed), "--loglevel", "WARNING"]
    master = [sys.executable, "-m", "locust", "-f", str(PROBE), *run, *suite.master_options(2, port)]
    worker = suite.worker_command("127.0.0.1", port=port, locustfile=PROBE)
    workers = [subprocess.Popen(worker, cwd=suite.LOAD_ROOT, env=env, stderr=subprocess.DEVNULL) for _ in range(2)]
    try:
        ran = subprocess.run(master, cwd=suite.LOAD_ROOT, env=env, capture_output=True, text=True, timeout=90)
        assert ran.returncode == 0, ran.stderr[-3000:]
    finally:
        for process in workers:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    seen = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(seen) == 6 and {s["seed"] for s in seen} == {seed}, seen
    assert sorted({s["worker"] for s in seen}) == [0, 1], "the master numbers its workers"
    drawn = {tuple(s["draws"]) for s in seen}
    assert len(drawn) == 6, "no two users draw the same, on one worker or across them"
    per_worker = [Draws(seed, index) for index in (0, 1)]
    assert drawn == {_first_draws(draws) for draws in per_worker for _ in range(3)}, "as --processes draws them"
