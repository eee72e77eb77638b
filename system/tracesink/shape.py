"""The shape an order's trace must have, checked into readable problems (an empty list: the shape holds)."""

from __future__ import annotations

from collections.abc import Iterable

from system.tracesink.model import Span, Trace

Edge = tuple[str, str]  # (from service, to service)


def parse_edges(spec: str) -> set[Edge]:
    """Edges from text such as "shop -> crm, crm -> mes" (shorter to write in a test than tuples)."""
    edges = set()
    for part in filter(None, (p.strip() for p in spec.split(","))):
        source, arrow, target = part.partition("->")
        if not arrow or not source.strip() or not target.strip():
            raise ValueError(f"not an edge: {part!r} (expected 'service -> service')")
        edges.add((source.strip(), target.strip()))
    return edges


def check_shape(
    trace: Trace, expected_edges: Iterable[Edge], *, linked_jobs: Iterable[str] = (), exact: bool = False
) -> list[str]:
    """What is wrong with `trace`: not one root, orphans, missing (or, if `exact`, unexpected) service edges,
    consumer spans that continue no producer span, and long jobs (named in `linked_jobs`) that link to nothing."""
    if not trace.spans:
        return ["the trace has no spans"]
    problems = _roots(trace)
    problems += [f"orphan span {_name(s)} (parent {s.parent_span_id} not in trace)" for s in trace.orphans()]
    expected, actual = set(expected_edges), trace.edges()
    problems += [f"missing edge {a} -> {b}" for a, b in sorted(expected - actual)]
    if exact:
        problems += [f"unexpected edge {a} -> {b}" for a, b in sorted(actual - expected)]
    for consumer, producer in trace.async_hops():
        if producer is None:
            came_from = trace.parent(consumer)
            why = f"its parent is {_name(came_from)}" if came_from else "it has no parent in the trace"
            problems.append(f"unlinked async hop: {_name(consumer)} continues no producer span ({why})")
    problems += _unlinked_jobs(trace, linked_jobs)
    return problems


def assert_shape(
    trace: Trace, expected_edges: Iterable[Edge], *, linked_jobs: Iterable[str] = (), exact: bool = False
) -> None:
    """Fail (AssertionError) with every problem `check_shape` finds, one per line."""
    problems = check_shape(trace, expected_edges, linked_jobs=linked_jobs, exact=exact)
    if problems:
        listed = "".join(f"\n  - {p}" for p in problems)
        raise AssertionError(f"trace {trace.trace_id} has the wrong shape ({len(problems)} problems):{listed}")


def _roots(trace: Trace) -> list[str]:
    roots = trace.roots()
    if len(roots) == 1:
        return []
    if not roots:
        return ["no root span: every span's parent is missing or in a cycle"]
    return [f"{len(roots)} root spans, expected one: {', '.join(_name(r) for r in roots)}"]


def _unlinked_jobs(trace: Trace, names: Iterable[str]) -> list[str]:
    problems = []
    for name in names:
        jobs = [s for s in trace.spans if s.name == name]
        if not jobs:
            problems.append(f"no {name!r} span in the trace")
        problems += [
            f"long job {_name(job)} carries no link to the message it started from"
            for job in jobs
            if not any(link.span_id in trace.by_id for link in job.links)
        ]
    return problems


def _name(span: Span) -> str:
    return repr(span.label)
