"""The Allure HTML report: generated offline by the Allure 2 command line, with trends carried from the
previous report of the same profile, and served over HTTP (a multi-file report does not work from file://)."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pipelines.paths import allure_cli

REPORT_DIR = "allure-report"


class ReportError(RuntimeError):
    """The report could not be built."""


def generate(results_dir: Path, report_dir: Path, history_dir: Path | None = None) -> Path:
    """Build the report from `results_dir`; with `history_dir`, continue its trends and save the new ones there."""
    allure = allure_cli()
    if allure is None:
        raise ReportError("the Allure command line is not installed: run `make setup` (it installs it under .tools/)")
    if history_dir is not None and history_dir.is_dir():
        # Allure 2 draws its trend charts from a history/ folder found among the results.
        shutil.copytree(history_dir, results_dir / "history", dirs_exist_ok=True)
    cmd = [str(allure), "generate", str(results_dir), "-o", str(report_dir), "--clean"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ReportError(f"allure generate failed: {exc}") from exc
    index = report_dir / "index.html"
    if proc.returncode != 0 or not index.is_file():
        raise ReportError(f"allure generate failed (exit {proc.returncode}): {(proc.stderr or proc.stdout)[-2000:]}")
    if history_dir is not None and (report_dir / "history").is_dir():
        shutil.rmtree(history_dir, ignore_errors=True)
        shutil.copytree(report_dir / "history", history_dir)
    return index


def case_uids(report_dir: Path) -> dict[tuple[str, str], str]:
    """(fullName, name) -> the report's uid of that test case, to link to it (#testresult/<uid>); a re-run's
    earlier attempts are hidden in the report, so the visible (last) attempt is the one linked."""
    uids = {}
    for path in sorted((report_dir / "data" / "test-cases").glob("*.json")):
        case = json.loads(path.read_text())
        if not case.get("hidden") and case.get("uid"):
            uids[(str(case.get("fullName")), str(case.get("name")))] = str(case["uid"])
    return uids


def serve(report_dir: Path, host: str = "127.0.0.1", port: int = 8088) -> ThreadingHTTPServer:
    """An HTTP server for the report (call serve_forever on it)."""
    if not (report_dir / "index.html").is_file():
        raise ReportError(f"no report at {report_dir}: run `qa report` first")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(report_dir))
    return ThreadingHTTPServer((host, port), handler)
