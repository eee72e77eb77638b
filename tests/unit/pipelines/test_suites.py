"""The suite registry: what each suite runs, whether it is built yet, suites declared in a policy file."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pipelines.paths import REPO_ROOT
from pipelines.suites import BUILTIN, Suite, SuiteError, lookup, suite_from_table


def test_the_registry_has_every_suite_of_the_design_at_its_place() -> None:
    assert list(BUILTIN) == ["unit", "integration", "contracts", "fuzz", "e2e", "load", "chaos"]
    assert BUILTIN["e2e"].paths == (REPO_ROOT / "e2e",)
    assert BUILTIN["fuzz"].paths == (REPO_ROOT / "contracts" / "fuzz",)
    assert BUILTIN["load"].kind == "command" and BUILTIN["load"].command[1:] == ("-m", "load.suite")
    assert not BUILTIN["unit"].needs_stack and BUILTIN["integration"].needs_stack
    assert BUILTIN["unit"].built() and BUILTIN["integration"].built()


def test_a_pytest_suite_is_built_once_a_test_module_exists(tmp_path: Path) -> None:
    suite = Suite("s", "", (tmp_path / "checks",))
    assert not suite.built()
    (tmp_path / "checks" / "helpers").mkdir(parents=True)
    (tmp_path / "checks" / "helpers" / "util.py").write_text("")
    assert not suite.built()
    (tmp_path / "checks" / "helpers" / "test_orders.py").write_text("")
    assert suite.built()


def test_tests_under_an_ignored_folder_do_not_build_the_suite(tmp_path: Path) -> None:
    (tmp_path / "contracts" / "fuzz").mkdir(parents=True)
    (tmp_path / "contracts" / "fuzz" / "test_api.py").write_text("")
    contracts = Suite("contracts", "", (tmp_path / "contracts",), ignore=(tmp_path / "contracts" / "fuzz",))
    assert not contracts.built()
    (tmp_path / "contracts" / "test_pacts.py").write_text("")
    assert contracts.built()


def test_a_command_suite_is_built_once_its_entry_file_exists(tmp_path: Path) -> None:
    suite = Suite("load", "", (tmp_path / "suite.py",), command=("python", "-m", "x"))
    assert not suite.built()
    (tmp_path / "suite.py").write_text("")
    assert suite.built()


def test_a_policy_suite_table_becomes_a_suite(tmp_path: Path) -> None:
    suite = suite_from_table(
        "figures", {"paths": ["figures.py"], "command": ["python", "figures.py"], "needs_stack": True}, tmp_path
    )
    assert suite.paths == (tmp_path / "figures.py",)
    assert suite.command == (sys.executable, "figures.py")  # "python" is this venv's interpreter
    assert suite.needs_stack and suite.kind == "command"
    assert suite.cwd == tmp_path and BUILTIN["load"].cwd == REPO_ROOT


def test_lookup_names_the_unknown_suites_and_the_known_ones() -> None:
    assert [s.name for s in lookup(BUILTIN, ["integration", "unit"])] == ["integration", "unit"]
    with pytest.raises(SuiteError, match=r"unknown suite\(s\): smoke; known: unit, integration"):
        lookup(BUILTIN, ["unit", "smoke"])


def test_location_reads_as_typed_from_the_repository() -> None:
    assert BUILTIN["unit"].location == "tests/unit/"
    assert BUILTIN["chaos"].location == "chaos/suite.py"
