"""A real `qa gate` on small sample suites (never on this repository's own suites, and without the stack):
GO with a flaky test, then NO-GO when a sample test fails, each with a real Allure report that carries the
verdict and each rule as results of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from pipelines import report
from pipelines.paths import REPO_ROOT

SAMPLE_TESTS = """
from pathlib import Path

HERE = Path(__file__).parent


def test_order_is_priced():
    assert 2 + 2 == 4


def test_quote_total_matches_lines():
    total = 99 if (HERE / "fail").exists() else 100
    assert total == 100, f"quote total {total} != sum of lines 100"


def test_sometimes_flaky():
    armed = HERE / "armed"
    if armed.exists():  # fails once, then passes on the re-run
        armed.unlink()
        raise AssertionError("first attempt fails")
"""

FIGURES = """
from pipelines import metrics
from pipelines.allure import AllureWriter

metrics.record({"sample.p95_ms": 120.0})
AllureWriter.from_env().test("checkout latency", "passed", measurements={"p95_ms": 120.0},
                             attachments={"stats.csv": "name,p95\\ncheckout,120\\n"})
"""

POLICY = """
[suites.sample]
paths = ["suite"]
[suites.figures]
paths = ["figures.py"]
command = ["python", "figures.py"]

[profiles.sample]
suites = ["sample", "figures"]
max_flaky = 1
reruns = 1

[[profiles.sample.thresholds]]
metric = "sample.p95_ms"
max = 200
"""


@dataclass
class Gate:
    exit_code: int
    output: str
    run_dir: Path

    @property
    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.run_dir / "gate.json").read_text())
        return data

    def report_cases(self) -> list[dict[str, Any]]:
        return [json.loads(p.read_text()) for p in (self.run_dir / "allure-report/data/test-cases").glob("*.json")]

    def widget(self, name: str) -> Any:
        return json.loads((self.run_dir / "allure-report/widgets" / name).read_text())

    def gate_cases(self) -> dict[str, dict[str, Any]]:
        """The report's results of the gate itself (its rules and its verdict), by name."""
        return {c["name"]: c for c in self.report_cases() if c["fullName"].startswith("release gate.")}


def qa_gate(sample: Path, runs: Path, run_id: str) -> Gate:
    cmd = [
        sys.executable,
        "-m",
        "pipelines",
        "gate",
        "--profile",
        "sample",
        "--policy",
        str(sample / "policy.toml"),
        "--runs-dir",
        str(runs),
        "--run-id",
        run_id,
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    proc = subprocess.run(cmd, cwd=sample, env=env, capture_output=True, text=True, timeout=300)
    return Gate(proc.returncode, proc.stdout + proc.stderr, runs / run_id)


@pytest.fixture(scope="module")
def gates(tmp_path_factory: pytest.TempPathFactory) -> tuple[Gate, Gate]:
    """Two gate runs of the same profile: the first GO (one flaky test), the second NO-GO (a test fails)."""
    sample = tmp_path_factory.mktemp("sample")
    (sample / "suite").mkdir()
    (sample / "suite" / "test_sample.py").write_text(SAMPLE_TESTS)
    (sample / "figures.py").write_text(FIGURES)
    (sample / "policy.toml").write_text(POLICY)
    runs = sample / "runs"
    (sample / "suite" / "armed").write_text("")
    first = qa_gate(sample, runs, "first")
    (sample / "suite" / "fail").write_text("")
    second = qa_gate(sample, runs, "second")
    return first, second


def test_a_passing_run_is_go_with_a_real_allure_report(gates: tuple[Gate, Gate]) -> None:
    go, _ = gates
    assert go.exit_code == 0, go.output
    gate = go.json
    assert gate["verdict"] == "GO" and gate["reasons"] == []
    assert (go.run_dir / "allure-report" / "index.html").is_file()
    names = {case["name"] for case in go.report_cases()}
    assert {
        "test_order_is_priced",
        "test_quote_total_matches_lines",
        "test_sometimes_flaky",
        "checkout latency",
    } <= names
    assert {"profile": "sample"}.items() <= {e["name"]: e["values"][0] for e in go.widget("environment.json")}.items()
    threshold = next(r for r in gate["rules"] if r["name"] == "sample.p95_ms")
    assert (threshold["measured"], threshold["passed"]) == ("120", True)
    assert "verdict: GO" in go.output
    assert {n: c["status"] for n, c in go.gate_cases().items()} == {
        "suite sample": "passed",
        "suite figures": "passed",
        "no new failures": "passed",
        "flaky tests": "passed",
        "sample.p95_ms": "passed",
        "verdict: GO": "passed",
    }


def test_a_test_passing_only_on_rerun_is_reported_flaky(gates: tuple[Gate, Gate]) -> None:
    go, _ = gates
    assert [t["name"] for t in go.json["flaky_tests"]] == ["test_sometimes_flaky"]
    assert next(r for r in go.json["rules"] if r["name"] == "flaky tests")["measured"] == "1"
    assert [c["name"] for c in go.widget("categories.json")["items"]] == ["Flaky tests"]


def test_a_failing_sample_test_is_no_go_exit_1_naming_the_rules(gates: tuple[Gate, Gate]) -> None:
    _, no_go = gates
    assert no_go.exit_code == 1, no_go.output
    gate = no_go.json
    assert gate["verdict"] == "NO-GO"
    assert [r["name"] for r in gate["rules"] if not r["passed"]] == ["suite sample", "no new failures"]
    assert gate["previous"]["run_id"] == "first"
    assert gate["previous"]["new_failures"] == ["test_quote_total_matches_lines"]
    assert "Product defects" in [c["name"] for c in no_go.widget("categories.json")["items"]]
    assert "verdict: NO-GO" in no_go.output
    md = (no_go.run_dir / "gate.md").read_text()
    assert "# Release gate: ❌ NO-GO" in md and "test_quote_total_matches_lines" in md


def test_the_report_shows_the_no_go_verdict_and_each_rule_as_results(gates: tuple[Gate, Gate]) -> None:
    _, no_go = gates
    cases = no_go.gate_cases()
    assert {n: c["status"] for n, c in cases.items()} == {
        "suite sample": "failed",
        "suite figures": "passed",
        "no new failures": "failed",
        "flaky tests": "passed",
        "sample.p95_ms": "passed",
        "verdict: NO-GO": "failed",
    }
    assert cases["verdict: NO-GO"]["statusMessage"].splitlines() == [
        "NO-GO: 2 of 5 rules failed",
        "- suite sample: 66.7% (2/3) (required pass rate ≥ 100%)",
        "- no new failures: 1 new vs first (required 0 new) — test_quote_total_matches_lines",
    ]
    assert cases["sample.p95_ms"]["parameters"] == [
        {"name": "measured", "value": "120"},
        {"name": "threshold", "value": "≤ 200"},
    ]
    # The overview counts them: 1 failed sample test, 2 failed rules and the verdict; no more "100 %" green.
    assert {"failed": 4, "passed": 6, "total": 10}.items() <= no_go.widget("summary.json")["statistic"].items()
    # The Suites tab sorts its groups by name (lower-cased): the gate's group comes first.
    groups = json.loads((no_go.run_dir / "allure-report/data/suites.json").read_text())["children"]
    assert sorted(g["name"].lower() for g in groups)[0] == "[release gate]"
    behaviors = json.loads((no_go.run_dir / "allure-report/data/behaviors.json").read_text())["children"]
    epic = next(b for b in behaviors if b["name"] == "release gate")
    assert [f["name"] for f in epic["children"]] == ["verdict of this run"]


def test_gate_md_links_a_failed_test_to_its_page_in_the_report(gates: tuple[Gate, Gate]) -> None:
    _, no_go = gates
    (failed,) = no_go.json["failed_tests"]
    assert failed["message"].startswith("AssertionError: quote total 99 != sum of lines 100")
    page, _, uid = failed["link"].partition("#testresult/")
    assert page == "allure-report/index.html"
    case = json.loads((no_go.run_dir / "allure-report/data/test-cases" / f"{uid}.json").read_text())
    assert case["name"] == "test_quote_total_matches_lines" and case["status"] == "failed"
    assert f"({failed['link']})" in (no_go.run_dir / "gate.md").read_text()


def test_the_report_carries_the_trend_across_runs(gates: tuple[Gate, Gate]) -> None:
    _, no_go = gates
    trend = json.loads((no_go.run_dir / "allure-report/history/history-trend.json").read_text())
    # Failed in the NO-GO run: the sample test, the two rules it broke and the verdict.
    assert [(t["buildOrder"], t["data"]["failed"]) for t in trend] == [(2, 4), (1, 0)]
    history = (no_go.run_dir.parent / "history.jsonl").read_text().splitlines()
    assert [json.loads(line)["verdict"] for line in history] == ["GO", "NO-GO"]
    assert "| `sample` | `second` |" in (no_go.run_dir / "gate.md").read_text()  # wall time per profile


def test_the_report_is_served_over_http(gates: tuple[Gate, Gate]) -> None:
    go, _ = gates
    server = report.serve(go.run_dir / "allure-report", port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        response = httpx.get(f"http://127.0.0.1:{server.server_address[1]}/index.html", timeout=10)
        assert response.status_code == 200 and "<html" in response.text.lower()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_qa_report_rebuilds_the_latest_run(gates: tuple[Gate, Gate]) -> None:
    _, no_go = gates
    index = no_go.run_dir / "allure-report" / "index.html"
    index.unlink()
    cmd = [sys.executable, "-m", "pipelines", "report", "--runs-dir", str(no_go.run_dir.parent)]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert index.is_file()
