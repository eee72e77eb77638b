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


def test_text_postgresql_cannot_store_is_refused_with_a_422_naming_the_field() -> None:
    from pydantic import ValidationError

    from system.crm.schemas import CancelIn, LineIn, LoginRequest

    for model, field, value in [
        (LoginRequest, "email", "\x00@example.com"),  # found by the fuzz suite: it was a 500
        (CancelIn, "reason", "changed\x00mind"),
        (LineIn, "filename", "part\x00.stl"),
    ]:
        base = {"email": "a@b.c", "password": "x"} if model is LoginRequest else {}
        if model is LineIn:
            base = {"file_id": "00000000-0000-4000-8000-000000000000", "material": "pla", "process": "fdm",
                    "quantity": 1, "lead_time_days": 7}  # fmt: skip
        try:
            model.model_validate({**base, field: value})
        except ValidationError as exc:
            assert exc.errors()[0]["loc"] == (field,)
        else:
            raise AssertionError(f"{model.__name__}.{field} accepted a NUL character")
    assert LoginRequest(email="ada@example.com", password="demo").email == "ada@example.com"
