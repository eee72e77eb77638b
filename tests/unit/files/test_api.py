"""The File Service's OpenAPI documents every status its routes answer with (found by the fuzz suite)."""

from __future__ import annotations

from system.files.api import router
from system.kernel.http import create_service_app


def test_completing_an_upload_of_known_bytes_documents_its_200() -> None:
    app = create_service_app("unit-files-api")
    app.include_router(router)
    responses = app.openapi()["paths"]["/files/uploads/{upload_id}/complete"]["post"]["responses"]
    assert responses["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/FileOut"}
    assert responses["201"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/FileOut"}
