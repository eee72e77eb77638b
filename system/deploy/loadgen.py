"""The load generator both deployments can run beside the system: a Locust master and its workers (issue 12).

The master is the load suite itself (`python -m load.suite --workers N`): it waits for N workers, runs the
profile (LOAD_PROFILE, release unless set), judges it by the gate's thresholds and writes the CSVs, Locust's
report, the summary, Allure results and metrics.json under RESULTS_DIR. The workers are plain Locust
processes pointed at the master (`load.suite.worker_command`); the users, the suite's options and the seed
travel to them from the master. The mix calls the CRM, the File Service and the MES by their service names
(and S3 through the presigned URLs the File Service hands out); it does not browse the Shop.
"""

from __future__ import annotations

from pathlib import Path

from load.suite import MASTER_PORT, worker_command
from system.deploy.topology import HTTP_PORT

LOAD_IMAGE = "layerworks/load"  # the Dockerfile's `load` target: the services image, the test extras and load/
APP_DIR = Path("/app")  # the image's working directory, holding load/ (Locust imports `load` from there)
MASTER = "locust-master"
WORKER = "locust-worker"
PORT = MASTER_PORT
WORKERS = 4  # the default; the master's --workers and the number of workers started must agree
RESULTS_DIR = "/results"  # every run in a folder of its own, load-<date>-<time> (QA_RUNS_DIR)
TARGETS = ("crm", "files", "mes")  # the services the mix calls (load/locustfile.py)
DEFAULT_PROFILE = "release"


def target_urls() -> dict[str, str]:
    """The suite's LOAD_*_URL settings: every API by its service name."""
    return {f"LOAD_{name.upper()}_URL": f"http://{name}:{HTTP_PORT}" for name in TARGETS}


def master_command(workers: str) -> list[str]:
    """The master's command: the load suite, waiting for `workers` workers (a number, or a compose variable)."""
    return ["python", "-m", "load.suite", "--workers", workers]


def worker() -> list[str]:
    """A worker's command: Locust on the image's locustfile, connecting to the master's service."""
    return worker_command(MASTER, port=PORT, python="python", locustfile=APP_DIR / "load" / "locustfile.py")
