"""The registry of test suites: where each one lives, how it runs, whether it exists yet, whether it needs the stack.

Two kinds of suite:
- pytest suites run as `pytest PATHS --alluredir ...` (allure-pytest writes their results);
- command suites (load, chaos) run a command that writes Allure results itself through `pipelines.allure`,
  and its measured figures through `pipelines.metrics`. The command gets QA_RUN_DIR, QA_ALLURE_RESULTS,
  QA_METRICS, QA_SUITE, QA_PROFILE and, against an already running environment, QA_TARGET.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.paths import REPO_ROOT


class SuiteError(ValueError):
    """A suite definition is invalid or names a suite nobody knows."""


@dataclass(frozen=True)
class Suite:
    """One suite: a pytest suite (`paths` are its tests) or a command suite (`paths` are its entry files)."""

    name: str
    description: str
    paths: tuple[Path, ...]
    command: tuple[str, ...] = ()
    ignore: tuple[Path, ...] = ()
    needs_stack: bool = False
    coverage: bool = False
    pytest_args: tuple[str, ...] = field(default=())
    cwd: Path = REPO_ROOT  # where it runs: the repository, or the folder of the policy file that declared it

    @property
    def kind(self) -> str:
        return "command" if self.command else "pytest"

    @property
    def location(self) -> str:
        """Its paths as a reader would type them (relative to the repository when inside it)."""
        return ", ".join(_display(p) for p in self.paths)

    def built(self) -> bool:
        """True once there is something to run: a test module under its paths, or every entry file of a command."""
        if self.command:
            return all(p.is_file() for p in self.paths)
        return any(self._test_modules(p) for p in self.paths)

    def _test_modules(self, path: Path) -> bool:
        if path.is_file():
            return _is_test_module(path)
        return any(_is_test_module(p) and not any(p.is_relative_to(i) for i in self.ignore) for p in path.rglob("*.py"))


def _is_test_module(path: Path) -> bool:
    return path.name.startswith("test_") or path.name.endswith("_test.py")


def _display(path: Path) -> str:
    if not path.is_relative_to(REPO_ROOT):
        return str(path)
    text = str(path.relative_to(REPO_ROOT))
    return text if path.suffix else text + "/"


def _repo(*parts: str) -> tuple[Path, ...]:
    return tuple(REPO_ROOT / p for p in parts)


# Future suites are registered at the locations DESIGN.md gives them, so that they count as built the moment
# their first test lands there; until then `qa run` and the gate say "not built yet".
BUILTIN: dict[str, Suite] = {
    s.name: s
    for s in [
        Suite("unit", "unit tests of system/ and pipelines/: no I/O, fast", _repo("tests/unit"), coverage=True),
        Suite(
            "integration",
            "integration tests on the real local stack",
            _repo("tests/integration"),
            needs_stack=True,
            coverage=True,
        ),
        Suite(
            "contracts",
            "Pact consumer tests and provider verification",
            _repo("contracts"),
            ignore=_repo("contracts/fuzz"),
            needs_stack=True,
        ),
        Suite("fuzz", "schemathesis API fuzzing of every service's OpenAPI", _repo("contracts/fuzz"), needs_stack=True),
        Suite("e2e", "Playwright browser tests against the running system", _repo("e2e"), needs_stack=True),
        Suite(
            "load",
            "Locust load profiles; figures (p95, error rate) go to metrics.json",
            _repo("load/suite.py"),
            command=(sys.executable, "-m", "load.suite"),
            needs_stack=True,
        ),
        Suite(
            "chaos",
            "broker, worker, DB and S3 fault experiments; lost/duplicated messages go to metrics.json",
            _repo("chaos/suite.py"),
            command=(sys.executable, "-m", "chaos.suite"),
            needs_stack=True,
        ),
    ]
}


def suite_from_table(name: str, table: Mapping[str, Any], base_dir: Path) -> Suite:
    """A suite defined in a policy file's [suites.NAME] table; it runs in, and its paths are relative to, that
    file's folder."""
    known = {"description", "paths", "command", "ignore", "needs_stack", "coverage", "pytest_args"}
    unknown = set(table) - known
    if unknown:
        raise SuiteError(f"suite {name}: unknown keys {sorted(unknown)}")
    paths = table.get("paths")
    if not isinstance(paths, list) or not paths:
        raise SuiteError(f"suite {name}: `paths` must be a non-empty list")
    command = [str(c) for c in table.get("command", [])]
    if command and command[0] == "python":  # the interpreter of this venv, whatever its path
        command[0] = sys.executable
    return Suite(
        name=name,
        description=str(table.get("description", "")),
        paths=tuple(base_dir / str(p) for p in paths),
        command=tuple(command),
        ignore=tuple(base_dir / str(p) for p in table.get("ignore", [])),
        needs_stack=bool(table.get("needs_stack", False)),
        coverage=bool(table.get("coverage", False)),
        pytest_args=tuple(str(a) for a in table.get("pytest_args", [])),
        cwd=base_dir,
    )


def lookup(registry: Mapping[str, Suite], names: list[str]) -> list[Suite]:
    """The suites named, in order; SuiteError naming the unknown ones and listing the known ones."""
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise SuiteError(f"unknown suite(s): {', '.join(unknown)}; known: {', '.join(registry)}")
    return [registry[n] for n in names]
