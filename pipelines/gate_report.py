"""The gate's output: gate.json (for machines) and gate.md (for release managers), built from one document."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pipelines.history import RunRecord
from pipelines.policy import Facts, Verdict, outcome_key
from pipelines.results import Outcome

Uids = Mapping[tuple[str, str], str]


def _link(base: str | None, uids: Uids, outcome: Outcome) -> str | None:
    uid = uids.get((outcome.full_name, outcome.name))
    return f"{base}index.html#testresult/{uid}" if base is not None and uid else None


def _test(o: Outcome, base: str | None, uids: Uids) -> dict[str, Any]:
    return {
        "suite": o.suite,
        "name": o.name,
        "full_name": o.full_name,
        "status": o.status,
        "attempts": o.attempts,
        "message": o.message,
        "link": _link(base, uids, o),
    }


def _previous(prev: RunRecord | None, failing: Mapping[str, str]) -> dict[str, Any] | None:
    if prev is None:
        return None
    return {
        "run_id": prev.run_id,
        "verdict": prev.verdict,
        "commit": prev.commit,
        "started_at": prev.started_at,
        "wall_seconds": prev.wall_seconds,
        "tests": list(prev.tests),
        "coverage": prev.coverage,
        "new_failures": sorted(name for key, name in failing.items() if key not in prev.failing),
        "fixed": sorted(name for key, name in prev.failing.items() if key not in failing),
    }


def gate_document(
    record: RunRecord,
    verdict: Verdict,
    facts: Facts,
    previous: RunRecord | None,
    wall_times: Mapping[str, RunRecord],
    uids: Uids,
    report_base: str | None,
    report_error: str | None = None,
) -> dict[str, Any]:
    """Everything gate.json holds; gate.md is rendered from it."""
    outcomes: Sequence[Outcome] = facts.outcomes
    return {
        "verdict": verdict.text,
        "reasons": verdict.reasons,
        "run_id": record.run_id,
        "profile": record.profile,
        "target": record.target,
        "commit": record.commit,
        "started_at": record.started_at,
        "wall_seconds": round(record.wall_seconds, 1),
        "rules": [asdict(r) for r in verdict.rules],
        "suites": record.suites,
        "coverage": facts.coverage,
        "metrics": dict(facts.metrics),
        "failed_tests": [_test(o, report_base, uids) for o in outcomes if o.failing],
        "flaky_tests": [_test(o, report_base, uids) for o in outcomes if o.flaky],
        "previous": _previous(previous, {outcome_key(o): o.name for o in outcomes if o.failing}),
        "wall_times": {
            p: {"run_id": r.run_id, "wall_seconds": round(r.wall_seconds, 1), "verdict": r.verdict}
            for p, r in sorted(wall_times.items())
        },
        "report": {"index": None if report_base is None else f"{report_base}index.html", "error": report_error},
    }


def duration(seconds: float) -> str:
    """1m 05s, or 42.0s under a minute."""
    return f"{int(seconds // 60)}m {int(seconds % 60):02d}s" if seconds >= 60 else f"{seconds:.1f}s"


def _cell(text: object, width: int = 160) -> str:
    line = str(text).strip().splitlines()[0] if str(text).strip() else ""
    line = line if len(line) <= width else line[: width - 1] + "…"
    return line.replace("|", "\\|")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def _named(test: Mapping[str, Any]) -> str:
    return f"[{_cell(test['name'])}]({test['link']})" if test.get("link") else _cell(test["name"])


def render_markdown(doc: Mapping[str, Any]) -> str:
    """gate.md: the verdict and its reasons, every rule, the suites, the comparison, the links into the report."""
    go = doc["verdict"] == "GO"
    out = [f"# Release gate: {'✅ GO' if go else '❌ NO-GO'}", ""]
    out += ["| profile | run | commit | target | wall time |", "|---|---|---|---|---|"]
    out += [
        f"| `{doc['profile']}` | `{doc['run_id']}` | `{doc['commit']}` | {doc['target']} | "
        f"{duration(doc['wall_seconds'])} |",
        "",
    ]
    if not go:
        out += ["**Why NO-GO:**", "", *(f"- {_cell(r, 400)}" for r in doc["reasons"]), ""]
    out += ["## Rules", "", "| rule | measured | threshold | result |", "|---|---|---|---|"]
    for r in doc["rules"]:
        out.append(
            f"| {r['name']} | {_cell(r['measured'])} | {r['threshold']} | {'✅ pass' if r['passed'] else '❌ FAIL'} |"
        )
    out += [
        "",
        "## Suites",
        "",
        "| suite | tests | passed | failed | broken | skipped | flaky | time |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, s in doc["suites"].items():
        if not s.get("built", True):
            out.append(f"| {name} | not built yet | | | | | | |")
        else:
            out.append(
                f"| {name} | {s['total']} | {s['passed']} | {s['failed']} | {s['broken']} | {s['skipped']} "
                f"| {s['flaky']} | {duration(s['seconds'])} |"
            )
    out += _comparison(doc)
    if doc["failed_tests"]:
        out += ["", "## Failed tests", "", "| suite | test | status | message |", "|---|---|---|---|"]
        out += [f"| {t['suite']} | {_named(t)} | {t['status']} | {_cell(t['message'])} |" for t in doc["failed_tests"]]
    if doc["flaky_tests"]:
        out += ["", "## Flaky tests (passed only on re-run)", ""]
        out += [f"- {t['suite']}: {_named(t)}" for t in doc["flaky_tests"]]
    out += [
        "",
        "## Wall time of the gate per profile (this machine)",
        "",
        "| profile | run | wall time | verdict |",
        "|---|---|---|---|",
    ]
    out += [
        f"| `{p}` | `{w['run_id']}` | {duration(w['wall_seconds'])} | {w['verdict']} |"
        for p, w in doc["wall_times"].items()
    ]
    out += ["", "## Report", ""]
    index, error = doc["report"]["index"], doc["report"]["error"]
    if error:
        out.append(f"The report could not be built: {_cell(error, 400)}")
    elif index:
        links = ("overview", ""), ("categories", "#categories"), ("suites", "#suites"), ("graphs", "#graph")
        out.append(" · ".join(f"[{name}]({index}{anchor})" for name, anchor in links))
    else:
        out.append("No report was built for this run (--no-report).")
    return "\n".join(out) + "\n"


def _comparison(doc: Mapping[str, Any]) -> list[str]:
    prev = doc["previous"]
    if prev is None:
        return ["", "## Compared with the previous run", "", f"No previous `{doc['profile']}` run to compare with."]
    passed = sum(s.get("passed", 0) for s in doc["suites"].values())
    executed = sum(s.get("total", 0) - s.get("skipped", 0) for s in doc["suites"].values())
    out = [
        "",
        f"## Compared with the previous run `{prev['run_id']}` (commit `{prev['commit']}`)",
        "",
        "| | previous | this run |",
        "|---|---|---|",
        f"| verdict | {prev['verdict']} | {doc['verdict']} |",
        f"| tests passed | {prev['tests'][0]}/{prev['tests'][1]} | {passed}/{executed} |",
        f"| coverage system/ | {_pct(prev['coverage'])} | {_pct(doc['coverage'])} |",
        f"| wall time | {duration(prev['wall_seconds'])} | {duration(doc['wall_seconds'])} |",
    ]
    out += ["", "New failures: " + (", ".join(_cell(n) for n in prev["new_failures"]) or "none")]
    out += ["", "Fixed since then: " + (", ".join(_cell(n) for n in prev["fixed"]) or "none")]
    return out


def write(run_dir: Path, doc: Mapping[str, Any]) -> tuple[Path, Path]:
    """Write gate.json and gate.md into the run folder."""
    json_path, md_path = run_dir / "gate.json", run_dir / "gate.md"
    json_path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    md_path.write_text(render_markdown(doc))
    return json_path, md_path
