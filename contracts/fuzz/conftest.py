"""Fixtures of the fuzz suite: each service's OpenAPI as the running service serves it, who calls it, and the
checks every response must pass.

The services are the local stack's (the session `stack` fixture starts it only if it is not up and stops it
only if it started it), or those named by FUZZ_FILES_URL, FUZZ_CRM_URL and FUZZ_MES_URL. When the gate judges
another environment (QA_TARGET) all three must be given: the suite never fuzzes the local stack instead.

The rule under test: bad input gets a clear 4xx problem+json with the reason, never a 500, and every response
is one the service's OpenAPI documents (status code, content type, body schema).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests.plugins.clients import sign_in

SERVICES = {"files": "files_port", "crm": "crm_port", "mes": "mes_port"}  # name -> StackSettings port field
PROBLEM = "application/problem+json"
CUSTOMER, OPERATOR = "ada@example.com", "operator@factory.example"

# Compatibility: schemathesis 4.32's lazy schemas (`from_fixture`) read and rename `item._nodeid`, which pytest
# 9.2 no longer has (it keeps a structured `_id`). Reading gives the node id; the rename, only cosmetic, is
# dropped: each operation is still reported as its own subtest, labelled `METHOD /path`.
if not hasattr(pytest.Item, "_nodeid"):
    pytest.Item._nodeid = property(lambda item: item.nodeid, lambda item, value: None)  # type: ignore[attr-defined]

# Modest and reproducible: the same cases on every run (CI), about 25 s for the three services.
# Hypothesis's example database is off so that a local run cannot replay cases CI never sees.
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_MAX_EXAMPLES", "50")),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    print_blob=True,
)


def clear_problem(ctx: Any, response: schemathesis.Response, case: schemathesis.Case[Any]) -> bool | None:
    """A 4xx is problem+json whose `detail` gives the reason and whose `status` is the response's."""
    if not 400 <= response.status_code < 500:
        return None
    media_type = response.headers.get("content-type", [""])[0].split(";")[0].strip()
    assert media_type == PROBLEM, f"{response.status_code} answered with {media_type or 'no content type'}"
    body = response.json()
    assert isinstance(body, dict), f"a problem must be a JSON object, got {body!r}"
    assert body.get("status") == response.status_code, f"problem status {body.get('status')} != HTTP status"
    assert isinstance(body.get("detail"), str) and body["detail"].strip(), "the problem gives no reason (`detail`)"
    return None


# What every response is checked against. Left out, with the reason:
# - positive_data_acceptance: most generated ids name nothing, so valid requests get a (documented) 404;
# - negative_data_rejection: its "invalid" requests are not invalid here: unknown query parameters are ignored,
#   as HTTP APIs do, and a request it strips of `Authorization` still carries the header the test sends; what
#   it would catch (bad input answered with a 2xx) the status and schema checks and `clear_problem` cover;
# - response_headers_conformance: no operation documents response headers, so it checks nothing;
# - ignored_auth, use_after_free, ensure_resource_availability, object_level_authorization: stateful checks
#   that need OpenAPI links or two accounts; authentication and ownership are covered by the integration
#   and e2e suites (who may see what; for files: tests/integration/files/test_ownership.py).
CHECKS: list[Callable[..., bool | None]] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    clear_problem,
]


def _url(name: str, request: pytest.FixtureRequest) -> str:
    given = os.environ.get(f"FUZZ_{name.upper()}_URL")
    if given:
        return given.rstrip("/")
    if os.environ.get("QA_TARGET"):
        pytest.fail(
            f"QA_TARGET is {os.environ['QA_TARGET']}: set FUZZ_FILES_URL, FUZZ_CRM_URL and FUZZ_MES_URL to that "
            "environment's services (the fuzz suite will not fuzz the local stack instead)",
            pytrace=False,
        )
    stack = request.getfixturevalue("stack")
    return str(stack.settings.url(getattr(stack.settings, SERVICES[name])))


@pytest.fixture(scope="session")
def service_urls(request: pytest.FixtureRequest) -> dict[str, str]:
    """Base URL of each service under test."""
    return {name: _url(name, request) for name in SERVICES}


def _headers(service_urls: dict[str, str], request: pytest.FixtureRequest, email: str, fixture: str) -> dict[str, str]:
    if os.environ.get("FUZZ_CRM_URL"):
        with httpx.Client(base_url=service_urls["crm"], timeout=30) as crm:
            return sign_in(crm, email)
    return dict(request.getfixturevalue(fixture))  # the local stack: tests/plugins/clients.py's sessions


@pytest.fixture(scope="session")
def customer_headers(service_urls: dict[str, str], request: pytest.FixtureRequest) -> dict[str, str]:
    """A B2C customer's Authorization header (CRM and File Service operations are called with it)."""
    return _headers(service_urls, request, CUSTOMER, "b2c")


@pytest.fixture(scope="session")
def operator_headers(service_urls: dict[str, str], request: pytest.FixtureRequest) -> dict[str, str]:
    """An operator's Authorization header."""
    return _headers(service_urls, request, OPERATOR, "operator")


def load(service_urls: dict[str, str], name: str) -> OpenApiSchema:
    """The OpenAPI document the running service serves (so what is fuzzed is what is deployed)."""
    return schemathesis.openapi.from_url(f"{service_urls[name]}/openapi.json", wait_for_schema=30)


@pytest.fixture(scope="session")
def files_schema(service_urls: dict[str, str]) -> OpenApiSchema:
    return load(service_urls, "files")


@pytest.fixture(scope="session")
def crm_schema(service_urls: dict[str, str]) -> OpenApiSchema:
    return load(service_urls, "crm")


@pytest.fixture(scope="session")
def mes_schema(service_urls: dict[str, str]) -> OpenApiSchema:
    return load(service_urls, "mes")
