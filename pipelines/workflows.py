"""GitHub Actions workflows read as jobs and steps, for running their steps here (`pipelines.workflows_local`).

The proof that the workflows run (issue 12): each job's `run:` steps go, in order, into the job's container (its
`debian:12` played by the offline Debian base of scripts/docker.sh, with the job's options), in a fresh clone of
this commit, with the environment GitHub would give them. `actions/checkout` is the clone; other actions (the
cache, artifacts, Pages) need GitHub and are listed as not run. `${{ }}` expressions get a local `github` context;
`vars` and `secrets` are empty, so steps guarded by them are skipped, as on a fork without them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
STAND_INS = {"debian:12": "local/debian:bookworm"}  # no registry answers here (TOOLING.md, "Containers")
# This machine lacks CAP_SYS_RESOURCE itself, so Docker cannot make a --privileged container here: the stand-in
# is every other capability, with seccomp and AppArmor off (what the chaos suite's iptables needs, and more).
OPTION_STAND_INS = {
    "--privileged": ("--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE", "--security-opt", "seccomp=unconfined",
                     "--security-opt", "apparmor=unconfined"),
}  # fmt: skip
WORKSPACE = "/github/workspace"


@dataclass(frozen=True)
class Step:
    """One step: a shell script to run, or an action (`uses`) that needs GitHub."""

    name: str
    run: str | None
    uses: str | None
    condition: str | None
    env: dict[str, str]


@dataclass(frozen=True)
class Job:
    """A job of a workflow: its container, environment, steps and the jobs it needs."""

    workflow: str
    key: str
    image: str
    options: tuple[str, ...]
    env: dict[str, str]
    steps: tuple[Step, ...]
    needs: tuple[str, ...] = ()


@dataclass
class Outcome:
    """What became of each step: (name, result, seconds); result is passed, failed, skipped: WHY or not run: WHY."""

    job: Job
    steps: list[tuple[str, str, float]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(result == "failed" for _, result, _ in self.steps)


def evaluate(expression: str, context: dict[str, Any]) -> str:
    """A `${{ }}` expression of the forms the workflows use: a dotted name, a 'literal', `a || b`."""
    for operand in (part.strip() for part in expression.split("||")):
        if operand.startswith("'") and operand.endswith("'"):
            return operand[1:-1]
        value: Any = context
        for key in operand.split("."):
            value = value.get(key, "") if isinstance(value, dict) else ""
        if value not in ("", None):
            return str(value)
    return ""


def substitute(text: str, context: dict[str, Any]) -> str:
    """`text` with every `${{ }}` replaced by its value."""
    return EXPRESSION.sub(lambda m: evaluate(m.group(1), context), text)


def load_jobs(path: Path, context: dict[str, Any]) -> list[Job]:
    """The jobs of one workflow file, in an order that respects `needs`."""
    workflow = yaml.safe_load(path.read_text())
    base_env = {k: substitute(str(v), context) for k, v in (workflow.get("env") or {}).items()}
    jobs = []
    for key, spec in workflow["jobs"].items():
        box = spec.get("container") or {}
        image = box.get("image", "") if isinstance(box, dict) else str(box)
        env = {**base_env, **{k: substitute(str(v), context) for k, v in (spec.get("env") or {}).items()}}
        steps = tuple(_step(i, s, {**context, "env": env}) for i, s in enumerate(spec.get("steps") or [], 1))
        needs = spec.get("needs") or ()
        given = str(box.get("options", "")).split() if isinstance(box, dict) else []
        options = tuple(part for option in given for part in OPTION_STAND_INS.get(option, (option,)))
        jobs.append(
            Job(path.stem, key, image, options, env, steps, (needs,) if isinstance(needs, str) else tuple(needs))
        )
    return _in_order(jobs)


def _step(index: int, spec: dict[str, Any], context: dict[str, Any]) -> Step:
    env = {k: substitute(str(v), context) for k, v in (spec.get("env") or {}).items()}
    name = spec.get("name") or spec.get("uses") or f"step {index}"
    return Step(name, spec.get("run"), spec.get("uses"), spec.get("if"), env)


def _in_order(jobs: list[Job]) -> list[Job]:
    ordered: list[Job] = []
    pending = list(jobs)
    while pending:
        ready = [j for j in pending if all(n in {o.key for o in ordered} for n in j.needs)]
        if not ready:
            raise ValueError(f"jobs needing each other: {[j.key for j in pending]}")
        ordered += ready
        pending = [j for j in pending if j not in ready]
    return ordered


def should_run(step: Step, env: dict[str, str], failed: bool) -> str | None:
    """None if the step runs, else why not: GitHub's default `success()`, `always()`, and `env.X != ''` tests."""
    condition = (step.condition or "success()").strip()
    if condition == "always()":
        return None
    if failed:
        return "skipped: an earlier step failed"
    if condition == "success()":
        return None
    if match := re.fullmatch(r"env\.(\w+)\s*(!=|==)\s*''", condition):
        empty = not env.get(match.group(1))
        return None if (empty if match.group(2) == "==" else not empty) else f"skipped: {condition} is false"
    return f"skipped: `{condition}` is not evaluated here"
