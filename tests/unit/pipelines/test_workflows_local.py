"""Reading the workflows to run their steps here: expressions, job order, which steps run."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.paths import REPO_ROOT
from pipelines.workflows import Step, evaluate, load_jobs, should_run, substitute

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
CONTEXT = {
    "github": {"run_id": "42", "run_attempt": "1", "event": {"repository": {"name": "orders"}}},
    "vars": {},
    "secrets": {},
}


def step(condition: str | None) -> Step:
    return Step("s", "true", None, condition, {})


def test_expressions_take_the_context_and_defaults() -> None:
    assert substitute("pr-${{ github.run_id }}-${{ github.run_attempt }}", CONTEXT) == "pr-42-1"
    assert evaluate("github.event.repository.name", CONTEXT) == "orders"
    assert evaluate("vars.PACT_ENVIRONMENT || 'production'", CONTEXT) == "production"
    assert evaluate("secrets.PACT_BROKER_TOKEN", CONTEXT) == ""


@pytest.mark.parametrize(
    ("condition", "env", "failed", "runs"),
    [
        (None, {}, False, True),
        (None, {}, True, False),
        ("always()", {}, True, True),
        ("env.URL != ''", {"URL": "https://broker"}, False, True),
        ("env.URL != ''", {}, False, False),
        ("env.URL == ''", {}, False, True),
        ("github.event_name == 'push'", {}, False, False),  # not understood: never run blindly
    ],
)
def test_steps_run_as_github_would_decide(condition: str | None, env: dict[str, str], failed: bool, runs: bool) -> None:
    assert (should_run(step(condition), env, failed) is None) is runs


def test_every_job_starts_in_debian_with_a_checkout_and_the_set_up() -> None:
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for job in load_jobs(path, CONTEXT):
            if all(s.uses for s in job.steps):
                continue  # a job of actions only (publishing to Pages) has nothing to run here
            assert job.image == "debian:12" and "--cap-add" in job.options, job.key  # --privileged's stand-in
            # The stack counts on init reaping what it kills: without one, a killed PostgreSQL stays a zombie
            # and the next one never starts (found running pr.yml's gate job here: 47 tests broken).
            assert "--init" in job.options, job.key
            assert job.steps[0].uses == "actions/checkout@v4" and job.steps[1].run == "scripts/setup.sh", job.key


def test_jobs_come_after_the_jobs_they_need(tmp_path: Path) -> None:
    pr = [job.key for job in load_jobs(WORKFLOWS / "pr.yml", CONTEXT)]
    assert pr.index("lint") < pr.index("gate")
    broken = tmp_path / "loop.yml"
    broken.write_text("jobs:\n  a: {needs: b, steps: []}\n  b: {needs: a, steps: []}\n")
    with pytest.raises(ValueError, match="needing each other"):
        load_jobs(broken, CONTEXT)


def test_a_job_environment_is_substituted() -> None:
    gate = next(j for j in load_jobs(WORKFLOWS / "pr.yml", CONTEXT) if j.key == "gate")
    assert gate.env["RUN_ID"] == "pr-42-1"
