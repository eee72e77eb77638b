"""The common service shell: health, readiness, RED metrics by route template, problem+json errors."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from system.kernel.http import create_service_app


def make_app(ready: bool = True, name: str = "unit-http") -> TestClient:
    async def database() -> None:
        if not ready:
            raise ConnectionError("refused")

    app = create_service_app(name, checks={"database": database})

    @app.get("/things/{thing_id}")
    async def thing(thing_id: int) -> dict[str, int]:
        return {"id": thing_id}

    return TestClient(app)


def test_metrics_count_requests_by_route_template_and_status() -> None:
    name = f"unit-http-{uuid.uuid4().hex[:6]}"  # metrics are process-wide: count this app's requests only
    client = make_app(name=name)
    client.get("/things/3")
    client.get("/things/4")
    client.get("/things/not-a-number")
    client.get("/nowhere")
    text = client.get("/metrics").text
    assert f'http_requests_total{{method="GET",route="/things/{{thing_id}}",service="{name}",status="200"}} 2.0' in text
    assert f'route="/things/{{thing_id}}",service="{name}",status="422"}} 1.0' in text
    assert f'route="unmatched",service="{name}",status="404"}} 1.0' in text


def test_errors_are_problem_json_with_the_reason() -> None:
    client = make_app()
    invalid = client.get("/things/not-a-number")
    assert invalid.status_code == 422 and invalid.headers["content-type"] == "application/problem+json"
    assert "thing_id" in invalid.text
    missing = client.get("/nowhere")
    assert missing.status_code == 404 and missing.json()["status"] == 404


def test_readiness_names_the_unreachable_dependency() -> None:
    assert make_app(ready=True).get("/readyz").status_code == 200
    not_ready = make_app(ready=False).get("/readyz")
    assert not_ready.status_code == 503 and "database" in not_ready.json()["detail"]
    assert make_app(ready=False).get("/healthz").status_code == 200, "alive even when not ready"


def test_openapi_documents_every_error_as_problem_json() -> None:
    """Fuzzing found errors documented as application/json (or FastAPI's own 422 body) while the service
    answers problem+json, and a body that is not JSON answered with an undocumented 400."""
    client = make_app()

    @client.app.post("/things", responses={409: {"description": "Already there"}})  # type: ignore[attr-defined]
    async def create(thing: dict[str, int]) -> dict[str, int]:
        return thing

    schema = client.get("/openapi.json").json()
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    created = schema["paths"]["/things"]["post"]["responses"]
    assert {s: created[s]["content"] for s in ("400", "409", "422")} == dict.fromkeys(("400", "409", "422"), problem)
    assert created["200"]["content"].keys() == {"application/json"}
    assert schema["paths"]["/things/{thing_id}"]["get"]["responses"]["422"]["content"] == problem
    assert schema["paths"]["/readyz"]["get"]["responses"]["503"]["content"] == problem
    assert "400" not in schema["paths"]["/things/{thing_id}"]["get"]["responses"], "no body, nothing to parse"
    components = schema["components"]["schemas"]
    assert {"type", "title", "status", "detail", "code"} <= set(components["Problem"]["required"])
    assert "HTTPValidationError" not in components, "FastAPI's 422 body is never sent"

    garbage = client.post("/things", content=b"\xff\xfe\x00", headers={"content-type": "application/json"})
    assert garbage.status_code == 400 and garbage.headers["content-type"] == "application/problem+json"
    assert garbage.json()["detail"]


def test_domain_exceptions_a_route_lets_through_are_answered_as_problems() -> None:
    from system.kernel.errors import Problem, translate_errors

    class OutOfStock(Exception):
        pass

    app = create_service_app(f"unit-http-{uuid.uuid4().hex[:6]}")
    translate_errors(app, lambda exc: Problem(409, "out-of-stock", str(exc)), OutOfStock)

    @app.get("/buy")
    async def buy() -> None:
        raise OutOfStock("no PLA left")

    answer = TestClient(app).get("/buy")
    assert answer.status_code == 409 and answer.headers["content-type"] == "application/problem+json"
    assert (answer.json()["code"], answer.json()["detail"]) == ("out-of-stock", "no PLA left")
