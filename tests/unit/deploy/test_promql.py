"""The PromQL tokenizer finds the metric names an expression reads, and nothing else."""

from __future__ import annotations

import pytest

from system.deploy.promql import metric_names


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ("up", {"up"}),
        ('up{job="rabbitmq"} == 0', {"up"}),
        # label names in {...}, label values and regexes in strings, Grafana variables and durations in [...]
        (
            'sum by (state, source) (rate(crm_order_transitions_total{state=~"quoted|placed"}[$__rate_interval]))',
            {"crm_order_transitions_total"},
        ),
        ('rate(x_total{queue=~".+\\\\.dlq", route!~"/metrics"}[${__range}])', {"x_total"}),
        ("histogram_quantile(0.95, sum by (le) (rate(h_bucket[5m])))", {"h_bucket"}),
        # grouping after the aggregation, vector matching, set operators, bool, offset, subqueries
        ("sum(rate(a_total[1h30m])) without (job, replica)", {"a_total"}),
        ("a / ignoring (code) group_left (service) b offset 5m", {"a", "b"}),
        ("a * on (node) group_left b", {"a", "b"}),
        ("(count(up == 1) or vector(0)) < floor(count(up) / 2) + 1", {"up"}),
        ("x > bool 1 and y unless z", {"x", "y", "z"}),
        ("SUM BY (q) (M) OR n", {"M", "n"}),
        ("max_over_time(deriv(q[10m])[1h:5m])", {"q"}),
        ('count_values("version", build_info)', {"build_info"}),
        ("topk(5, sum by(queue)(m))", {"m"}),
        ("1e3 * 0x1f + .5 + Inf + NaN", set()),
        ("", set()),
    ],
)
def test_metric_names_are_what_the_expression_selects(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


def test_a_name_that_looks_like_a_keyword_inside_a_string_or_a_matcher_is_not_read() -> None:
    assert metric_names('m{by="sum", on="x"} and on(by) n{offset="1"}') == {"m", "n"}
