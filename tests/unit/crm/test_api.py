"""The CRM's OpenAPI documents every status its routes answer with (found by the fuzz suite)."""

from __future__ import annotations

from system.crm.api import router
from system.kernel.http import create_service_app


def test_placing_an_order_documents_the_idempotent_replay_and_files_unavailable() -> None:
    app = create_service_app("unit-crm-api")
    app.include_router(router)
    responses = app.openapi()["paths"]["/orders"]["post"]["responses"]
    assert responses["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/OrderOut"}
    assert responses["503"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
