"""`python -m pipelines.workflows_local WORKFLOW... [--job JOB]`: workflow jobs run here, step by step, in containers.

Each job gets a fresh clone of this commit and its own container (the job's image, or its offline stand-in, with
the job's options and host networking, as every container here has); its `run:` steps go in order through
`bash -eo pipefail`, as GitHub runs them; a failed step skips the rest but for `if: always()` ones.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from pipelines.paths import REPO_ROOT
from pipelines.workflows import STAND_INS, WORKSPACE, Job, Outcome, Step, load_jobs, should_run

app = typer.Typer(add_completion=False)
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")


def github_context(repo: Path) -> dict[str, object]:
    """The `github` expression context of a local run."""
    sha = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    run_id = str(int(time.time()))
    return {
        "github": {
            "run_id": run_id,
            "run_attempt": "1",
            "sha": sha.stdout.strip(),
            "ref": "refs/heads/local",
            "ref_name": "local",
            "repository_owner": "local",
            "event": {"repository": {"name": repo.name}},
        },
        "vars": {},
        "secrets": {},
    }


def run_job(job: Job, repo: Path, say: Callable[[str], None] = print) -> Outcome:
    """Every step of `job` in a container of its image, in a fresh clone of `repo`'s HEAD."""
    outcome = Outcome(job)
    image = STAND_INS.get(job.image, job.image or STAND_INS["debian:12"])
    with tempfile.TemporaryDirectory(prefix=f"wf-{job.key}-") as scratch:
        run = Run(job, repo, Path(scratch), f"wf-{job.workflow}-{job.key}-{os.getpid()}")
        run.scratch.chmod(0o755)  # /github: the job's own users (rabbitmq, postgres) reach the workspace in it
        (run.scratch / "summary.md").touch()
        if HOST_CA.exists():
            shutil.copy(HOST_CA, run.scratch / "host-ca.crt")
        subprocess.run(
            ["docker", "run", "-d", "--rm", "--name", run.container, "--network", "host", *job.options,
             "-v", f"{scratch}:/github", "-w", WORKSPACE, image, "sleep", "infinity"],
            check=True, capture_output=True,
        )  # fmt: skip
        try:
            for step in job.steps:
                outcome.steps.append(run.step(step, outcome.failed, say))
        finally:
            subprocess.run(["docker", "rm", "-f", run.container], capture_output=True, check=False)
        if summary := (run.scratch / "summary.md").read_text():
            say(f"--- {job.workflow}/{job.key}: job summary ---\n{summary}")
    return outcome


@dataclass(frozen=True)
class Run:
    """One job's run: its clone and container (the scratch directory is /github inside)."""

    job: Job
    repo: Path
    scratch: Path
    container: str

    def step(self, step: Step, failed: bool, say: Callable[[str], None]) -> tuple[str, str, float]:
        """Run one step; (name, result, seconds)."""
        started = time.monotonic()
        if step.uses is not None and not step.uses.startswith("actions/checkout@"):
            return step.name, f"not run: {step.uses} needs GitHub", 0.0
        if (why := should_run(step, self.job.env, failed)) is not None:
            return step.name, why, 0.0
        say(f"::: {self.job.workflow}/{self.job.key}: {step.name}")
        if step.uses is not None:  # the checkout: a clone of this commit where the job works (/github/workspace)
            done = subprocess.run(["git", "clone", "-q", str(self.repo), str(self.scratch / "workspace")], check=False)
        else:
            env = {**self.job.env, **step.env, "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": WORKSPACE,
                   "GITHUB_STEP_SUMMARY": "/github/summary.md", "HOME": "/root", **self._trust()}  # fmt: skip
            flags = [f"--env={k}={v}" for k, v in env.items()]
            done = subprocess.run(
                ["docker", "exec", *flags, "-w", WORKSPACE, self.container,
                 "bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step.run or ""],
                check=False,
            )  # fmt: skip
        return step.name, "passed" if done.returncode == 0 else "failed", time.monotonic() - started

    def _trust(self) -> dict[str, str]:
        """This machine's certificate authorities for pip, npm and Python: its way out goes through a proxy whose
        authority a bare container does not know (a GitHub runner's network needs none of this)."""
        if not (self.scratch / "host-ca.crt").exists():
            return {}
        names = ("PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS")
        return dict.fromkeys(names, "/github/host-ca.crt")


@app.command()
def main(
    workflows: Annotated[list[Path], typer.Argument(help="workflow files, e.g. .github/workflows/pr.yml")],
    job: Annotated[list[str] | None, typer.Option(help="only these jobs (all by default)")] = None,
) -> None:
    """Run the workflows' jobs here; exit 1 if a step failed."""
    context = github_context(REPO_ROOT)
    outcomes: list[Outcome] = []
    for path in workflows:
        for each in load_jobs(path, context):
            failed_needs = [o.job.key for o in outcomes if o.failed and o.job.key in each.needs]
            if job and each.key not in job:
                continue
            if failed_needs:  # GitHub skips a job whose needed jobs failed
                typer.echo(f"{each.workflow}/{each.key}: skipped, {', '.join(failed_needs)} failed")
                continue
            outcomes.append(run_job(each, REPO_ROOT))
    for outcome in outcomes:
        typer.echo(f"\n{outcome.job.workflow}/{outcome.job.key} ({outcome.job.image}):")
        for name, result, seconds in outcome.steps:
            typer.echo(f"  {result:<40} {seconds:7.1f} s  {name}")
    if any(o.failed for o in outcomes):
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
