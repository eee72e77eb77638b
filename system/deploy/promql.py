"""The metric names a PromQL expression reads: a small tokenizer, enough for the expressions our dashboards use."""

from __future__ import annotations

import re

# One alternative per token kind; strings and Grafana variables go first so that nothing inside them counts.
_TOKEN = re.compile(
    r"""
    (?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`)
    | (?P<variable>\$\{[^}]*\}|\$\w+)
    | (?P<number>\.?\d[\w.]*)          # numbers and durations (5m, 1h30m, 0x1f, 1e3): never a name
    | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
    | (?P<open>[({\[])
    | (?P<close>[)}\]])
    | (?P<space>\s+)
    | (?P<other>.)
    """,
    re.VERBOSE,
)
AGGREGATIONS = frozenset(
    {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk",
     "quantile", "limitk", "limit_ratio"}
)  # fmt: skip
# Modifiers followed by a parenthesised list of label names.
LABEL_LISTS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
KEYWORDS = AGGREGATIONS | LABEL_LISTS | {"and", "or", "unless", "bool", "offset", "inf", "nan", "atan2"}


def _tokens(expr: str) -> list[tuple[str, str]]:
    """(kind, text) of every token but white space."""
    found = []
    for match in _TOKEN.finditer(expr):
        kind = match.lastgroup or "other"
        if kind != "space":
            found.append((kind, match.group()))
    return found


def metric_names(expr: str) -> set[str]:
    """Every metric name `expr` selects (identifiers that are no function, keyword, label or duration)."""
    tokens = _tokens(expr)
    names: set[str] = set()
    closers: list[str] = []  # the brackets we are inside, innermost last
    skip_depth: int | None = None  # inside `by (...)` and friends: until the stack shrinks back to this
    for i, (kind, text) in enumerate(tokens):
        following = tokens[i + 1][1] if i + 1 < len(tokens) else ""
        if kind == "open":
            closers.append(text)
            continue
        if kind == "close":
            if closers:
                closers.pop()
            if skip_depth is not None and len(closers) <= skip_depth:
                skip_depth = None
            continue
        if kind != "ident" or skip_depth is not None or any(c in "{[" for c in closers):
            continue  # label names inside {...}, durations and variables inside [...]
        word = text.lower()  # PromQL's keywords, like Inf and NaN, are case-insensitive; metric names are not
        if word in LABEL_LISTS and following == "(":
            skip_depth = len(closers)
        elif word not in KEYWORDS and following != "(":
            names.add(text)
    return names
