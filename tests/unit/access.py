"""Shared by the API access tests of every service: the routes an app documents, forged tokens, problem checks."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
from fastapi import FastAPI

from system.kernel.auth import Principal, issue_token
from system.kernel.errors import PROBLEM

Route = tuple[str, str]  # (method, path template) as in the OpenAPI document


def operations(app: FastAPI) -> dict[Route, dict[str, Any]]:
    """Every documented operation but the ops probes, by (method, path)."""
    paths = app.openapi()["paths"]
    found = {(m.upper(), p): op for p, ops in paths.items() for m, op in ops.items()}
    return {route: op for route, op in found.items() if "ops" not in op.get("tags", [])}


def b64(claims: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()


def unb64(segment: str) -> dict[str, Any]:
    return dict(json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))))


def forged_tokens(secret: str, principal: Principal) -> dict[str, str]:
    """Tokens for `principal` that no route may accept: expired, foreign, unsigned, or with its role edited."""
    header, payload, signature = issue_token(secret, principal).split(".")
    as_operator = b64({**unb64(payload), "role": "operator"})
    return {
        "expired": issue_token(secret, principal, ttl_seconds=-60),
        "wrong-secret": issue_token("another-" + secret, principal),
        "alg-none": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{as_operator}.",
        "tampered-role": f"{header}.{as_operator}.{signature}",
    }


def assert_problem(response: httpx.Response, status: int, code: str) -> None:
    """`response` is problem+json with this status and code."""
    assert (response.status_code, response.headers["content-type"]) == (status, PROBLEM), response.text
    assert (response.json()["status"], response.json()["code"]) == (status, code), response.text
