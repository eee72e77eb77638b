"""Allure 2 results written without pytest: the writer that load and chaos use, and the run-level files
(environment.properties, categories.json, executor.json) every results folder gets."""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
import shutil
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pipelines.paths import CATEGORIES
from pipelines.results import SUITE_LABEL

STATUSES = ("passed", "failed", "broken", "skipped")
# Allure labels by name: one value, or several (e.g. two stories). Behaviors reads epic/feature/story.
Labels = Mapping[str, str | Sequence[str]]
_TYPES = {
    ".csv": "text/csv",
    ".json": "application/json",
    ".log": "text/plain",
    ".txt": "text/plain",
    ".html": "text/html",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}


def _mime(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return _TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "text/plain"


def _label_list(labels: Labels) -> list[dict[str, str]]:
    return [
        {"name": name, "value": v}
        for name, value in labels.items()
        for v in ([value] if isinstance(value, str) else value)
    ]


class AllureWriter:
    """Writes one Allure result per call of `test`, for suites that are not pytest (load, chaos).

    `labels` (here for every result, or per `test`) are Allure labels such as epic, feature, story, tag,
    severity, or parentSuite/suite/subSuite for the Suites tab: a name given replaces the writer's default
    label of that name, per-test labels replace the writer's, and tags add to the `suite:NAME` tag. Only the
    gate's suite label (qaSuite) is fixed: it is how the gate counts the result."""

    def __init__(self, results_dir: Path, suite: str, labels: Labels | None = None) -> None:
        self.results_dir = results_dir
        self.suite = suite
        self.labels = dict(labels or {})
        results_dir.mkdir(parents=True, exist_ok=True)

    @classmethod
    def from_env(cls, labels: Labels | None = None) -> AllureWriter:
        """The writer for the current `qa run`/`qa gate` suite ($QA_ALLURE_RESULTS, $QA_SUITE)."""
        results = os.environ.get("QA_ALLURE_RESULTS")
        if not results:
            raise RuntimeError("QA_ALLURE_RESULTS is not set: run this suite through `qa run` or `qa gate`")
        return cls(Path(results), os.environ.get("QA_SUITE", "unknown"), labels)

    def _labels(self, extra: Labels | None) -> list[dict[str, str]]:
        given = {**self.labels, **(extra or {})}
        if SUITE_LABEL in given:
            raise ValueError(f"the {SUITE_LABEL} label is the writer's suite ({self.suite!r}): the gate counts by it")
        tags = given.pop("tag", ())
        defaults: Labels = {
            SUITE_LABEL: self.suite,
            "tag": [f"suite:{self.suite}", *([tags] if isinstance(tags, str) else tags)],  # tags add up
            "parentSuite": self.suite,
            "framework": "qa",
        }
        return _label_list({**defaults, **given})

    def test(
        self,
        name: str,
        status: str,
        *,
        full_name: str | None = None,
        message: str = "",
        trace: str = "",
        measurements: Mapping[str, float] | None = None,
        parameters: Mapping[str, object] | None = None,
        attachments: Mapping[str, Path | str | bytes] | None = None,
        start: float | None = None,
        stop: float | None = None,
        labels: Labels | None = None,
    ) -> Path:
        """Write one test result; measurements and parameters show as its parameters; return the file."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {status!r}")
        stop = time.time() if stop is None else stop
        start = stop if start is None else start
        full = full_name or f"{self.suite}.{name}"
        params = {**(parameters or {}), **(measurements or {})}
        result: dict[str, Any] = {
            "uuid": str(uuid.uuid4()),
            "name": name,
            "fullName": full,
            "historyId": hashlib.md5(full.encode()).hexdigest(),  # stable across runs: the trend follows it
            "testCaseId": hashlib.md5(full.encode()).hexdigest(),
            "status": status,
            "statusDetails": {"message": message, "trace": trace} if message or trace else {},
            "stage": "finished",
            "start": int(start * 1000),
            "stop": int(stop * 1000),
            "labels": self._labels(labels),
            "parameters": [{"name": k, "value": str(v)} for k, v in params.items()],
            "attachments": [self._attach(n, body) for n, body in (attachments or {}).items()],
        }
        path = self.results_dir / f"{result['uuid']}-result.json"
        path.write_text(json.dumps(result, indent=1))
        return path

    def _attach(self, name: str, body: Path | str | bytes) -> dict[str, str]:
        suffix = Path(body.name).suffix if isinstance(body, Path) else Path(name).suffix
        source = f"{uuid.uuid4()}-attachment{suffix or '.txt'}"
        target = self.results_dir / source
        if isinstance(body, Path):
            shutil.copyfile(body, target)
        else:
            target.write_bytes(body.encode() if isinstance(body, str) else body)
        return {"name": name, "source": source, "type": _mime(source)}


def _escape(text: str, key: bool = False) -> str:
    text = text.replace("\\", "\\\\").replace("\n", "\\n")
    return text.replace("=", "\\=").replace(":", "\\:").replace(" ", "\\ ") if key else text


def write_environment(results_dir: Path, values: Mapping[str, str]) -> Path:
    """environment.properties: the Environment widget of the report (commit, versions, profile, target)."""
    path = results_dir / "environment.properties"
    path.write_text("".join(f"{_escape(k, key=True)}={_escape(v)}\n" for k, v in values.items()))
    return path


def write_categories(results_dir: Path, source: Path = CATEGORIES) -> Path:
    """categories.json: product defect, test defect, infrastructure problem, flaky (reports/categories.json)."""
    return Path(shutil.copyfile(source, results_dir / "categories.json"))


def write_executor(results_dir: Path, run_id: str, order: int, report_url: str | None = None) -> Path:
    """executor.json: names this run in the report's trend charts (CI or local)."""
    ci = os.environ.get("GITHUB_ACTIONS") == "true"
    server, repo, run = (os.environ.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    executor = {
        "name": "GitHub Actions" if ci else "local",
        "type": "github" if ci else "local",
        "buildName": run_id,
        "buildOrder": order,
        "buildUrl": f"{server}/{repo}/actions/runs/{run}" if ci else None,
        "reportUrl": report_url,
        "reportName": f"Release gate {run_id}",
    }
    path = results_dir / "executor.json"
    path.write_text(json.dumps({k: v for k, v in executor.items() if v is not None}, indent=1))
    return path
