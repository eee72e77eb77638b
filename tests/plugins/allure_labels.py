"""Pytest plugin: every test gets the Allure epic, feature and story of the business capability it guards, from
one table, so the report's Behaviors tab reads as the product's feature list.

The first row of `TABLE` that matches a test decides: `where` is a glob on the test's path from the repository
root, `names` (if any) are words one of which the test's name must contain. A story of "{module}" is the test
module's name ("test_cancel_race.py" → "cancel race"), "{area}" the folder it sits in ("crm"). A test that sets
labels itself (`@allure.epic(...)`, `pytestmark`, `allure.dynamic.*`) keeps them: the table only fills in what
it leaves out, and only under the test's own epic. tests/unit/pipelines/test_allure_labels.py fails when a test
of the tree maps to no epic.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import PurePosixPath

import pytest

EPICS = ("ordering", "pricing", "production", "files", "messaging", "access", "release gate", "platform")
KINDS = ("epic", "feature", "story")
LABEL_MARK = "allure_label"  # the marker allure-pytest's @allure.epic/feature/story decorators set


@dataclass(frozen=True)
class Row:
    """Tests at `where` (a glob), and whose name contains one of `names` if given, guard this capability."""

    where: str
    epic: str
    feature: str
    story: str = "{module}"
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Labels:
    epic: str
    feature: str
    story: str


# Most specific first: single modules, then words in test names that cut across areas, then whole areas.
TABLE: tuple[Row, ...] = (
    # The release gate, its suites and the local stack first, so no word in a test's name sends them elsewhere.
    Row("tests/*/pipelines/test_policy.py", "release gate", "policy"),
    Row("tests/*/pipelines/test_suites.py", "release gate", "policy"),
    Row("tests/*/pipelines/test_workflows*.py", "release gate", "CI workflows"),
    Row("tests/*/pipelines/test_*report*.py", "release gate", "report"),
    Row("tests/*/pipelines/test_*allure*.py", "release gate", "report"),
    Row("tests/*/pipelines/test_gate_*.py", "release gate", "report"),
    Row("tests/*/pipelines/test_history.py", "release gate", "report"),
    Row("tests/*/pipelines/*", "release gate", "running suites"),
    Row("tests/integration/chaos/*", "messaging", "resilience", "chaos {module}"),  # a real fault on the stack
    Row("tests/*/load/*", "release gate", "load suite"),  # the suites' own machinery; their results label
    Row("tests/*/chaos/*", "release gate", "chaos suite"),  # themselves through the AllureWriter
    Row("tests/*/stack/*", "platform", "local stack"),
    Row("tests/*/tracesink/*", "platform", "tracing", "trace sink {module}"),
    Row("tests/*/deploy/test_kubernetes.py", "platform", "deployment", "kubernetes"),
    Row("tests/containers/*", "platform", "deployment", "containers"),
    Row("tests/*/deploy/*", "platform", "observability", "{area} {module}"),
    Row("tests/integration/flow/test_traces.py", "platform", "tracing", "one order, one trace"),
    Row("tests/*/kernel/test_telemetry.py", "platform", "tracing", "{module}"),
    # Cancellation: the CRM asks, MES decides, both must end up agreeing.
    Row("tests/integration/flow/test_cancel_race.py", "ordering", "cancellation", "a cancel racing production"),
    Row("tests/unit/test_agreement.py", "ordering", "cancellation", "CRM and MES agree"),
    Row("tests/*/crm/test_cancellation.py", "ordering", "cancellation", "the CRM asks"),
    Row("tests/*/mes/test_cancellation.py", "ordering", "cancellation", "MES decides"),
    # The browser journeys: a customer orders to delivery; a failed quality check is reprinted.
    Row("e2e/test_journey.py", "production", "quality and reprints", "journey in the browser", ("reprint",)),
    Row("e2e/test_journey.py", "ordering", "customer journey", "from upload to delivery"),
    Row("e2e/test_access.py", "access", "sign-in and privacy", "in the browser"),
    # Who may do what: tokens, roles, other customers' data (any area).
    Row("*", "access", "tokens", "{area} {module}", ("token", "csrf")),
    Row("*", "access", "other customers' data", "{area} {module}", ("another_customer", "only_their_own")),
    Row("*", "access", "roles", "{area} {module}", ("permission", "operator_route", "customers_cannot")),
    Row("tests/*/kernel/test_auth_tokens.py", "access", "tokens", "{area} {module}"),
    Row("tests/integration/flow/test_file_ownership.py", "access", "other customers' data", "{area} {module}"),
    Row("tests/*/files/test_ownership.py", "access", "other customers' data", "{area} {module}"),
    Row("tests/unit/shop/test_auth.py", "access", "sign-in and privacy", "shop"),
    Row("*", "ordering", "cancellation", "{area} {module}", ("cancel",)),
    # Ordering: the Shop, the CRM, the flow of an order through the system.
    Row("e2e/*", "ordering", "placing orders", "in the browser"),
    Row("tests/integration/flow/test_idempotency.py", "ordering", "idempotency"),
    Row("tests/integration/flow/test_order_flow.py", "ordering", "order flow"),
    Row("tests/unit/shop/test_operator.py", "production", "operator console", "shop"),
    Row("tests/unit/shop/*", "ordering", "shop"),
    Row("tests/*/crm/*", "ordering", "orders (CRM)"),
    # Production (MES), pricing, files and model checks.
    Row("tests/*/mes/*", "production", "production jobs (MES)"),
    Row("tests/*/pricing/*", "pricing", "quotes"),
    Row("tests/integration/flow/test_pricing_jobs.py", "pricing", "long jobs"),
    Row("tests/unit/mesh/*", "files", "model checks"),
    Row("tests/*/files/test_checkpoints.py", "pricing", "long jobs", "checkpoints kept by the File Service"),
    Row("tests/*/files/*", "files", "uploads and storage"),
    # Messaging: exactly-once effects, retries and dead letters, surviving crashes.
    Row("tests/*/kernel/test_consumer.py", "messaging", "delivery guarantees"),
    Row("tests/*/kernel/test_topology_and_envelope.py", "messaging", "topology and envelope"),
    Row("tests/integration/kernel/*", "messaging", "delivery guarantees"),
    Row("tests/integration/flow/test_resilience.py", "messaging", "resilience"),
    # Platform: HTTP conventions, outages, persistence, the local stack, API fuzzing.
    Row("tests/integration/flow/test_outages.py", "platform", "outages"),
    Row("tests/*/kernel/*", "platform", "service conventions"),
    Row("tests/integration/repositories/*", "platform", "persistence"),
    Row("tests/integration/test_migrations.py", "platform", "persistence"),
    Row("contracts/fuzz/*", "platform", "API robustness (fuzzing)"),
    Row("contracts/*", "platform", "API contracts"),
)


def _story(template: str, path: PurePosixPath) -> str:
    module = path.stem.removeprefix("test_").removesuffix("_test").replace("_", " ")
    return template.format(module=module, area=path.parent.name).strip()


def labels_for(nodeid: str, table: tuple[Row, ...] = TABLE) -> Labels | None:
    """The labels of the test `nodeid` (path::name, relative to the repository root), or None if no row matches."""
    path_part, _, rest = nodeid.partition("::")
    path = PurePosixPath(path_part)
    name = rest.rpartition("::")[2].partition("[")[0]  # the function, without class or parameters
    for row in table:
        if fnmatch.fnmatch(str(path), row.where) and (not row.names or any(w in name for w in row.names)):
            return Labels(row.epic, row.feature, _story(row.story, path))
    return None


def _own_labels(item: pytest.Item) -> dict[str, set[str]]:
    """The epic/feature/story values the test sets itself: by marker, or at run time through allure.dynamic."""
    own: dict[str, set[str]] = {k: set() for k in KINDS}
    for mark in item.iter_markers(name=LABEL_MARK):
        if mark.kwargs.get("label_type") in own:
            own[mark.kwargs["label_type"]].update(str(a) for a in mark.args)
    listener = item.config.pluginmanager.get_plugin("allure_listener")
    result = listener.allure_logger.get_test(None) if listener is not None else None  # the running test's result
    for label in getattr(result, "labels", None) or ():
        if label.name in own:
            own[label.name].add(str(label.value))
    return own


def missing(own: dict[str, set[str]], mapped: Labels) -> dict[str, str]:
    """What the table adds: nothing under another epic than the test's own, else the kinds the test left out."""
    if own["epic"] and mapped.epic not in own["epic"]:
        return {}
    return {kind: getattr(mapped, kind) for kind in KINDS if not own[kind]}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    # After the test body ran (so labels it added at run time are seen), and as markers, which allure-pytest
    # turns into labels once teardown is over.
    mapped = labels_for(item.nodeid)
    if mapped is not None:
        for kind, value in missing(_own_labels(item), mapped).items():
            item.add_marker(pytest.mark.allure_label(value, label_type=kind))
    yield
