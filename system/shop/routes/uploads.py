"""Model uploads: the browser sends the file here and the Shop relays it to the File Service."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from system.shop import service
from system.shop.clients import ServiceError
from system.shop.deps import ClientsDep, SettingsDep, TemplatesDep, UserDep, verify_csrf
from system.shop.forms import LineDraft
from system.shop.routes.common import fragment, new_order_page, redirect, wants_json
from system.shop.views import size_limit

router = APIRouter(tags=["pages"], include_in_schema=False)

# What a customer can do about each rejection the File Service reports.
TIPS = {
    "empty-file": "Check that you picked the right file: this one is empty.",
    "truncated": "The file looks cut off. Export it again from your CAD program and upload the new file.",
    "triangle-count-mismatch": "The file looks damaged. Export it again from your CAD program.",
    "non-finite-coordinates": "The model has broken coordinates. Export it again from your CAD program.",
    "unrecognised-format": "We accept STL (binary or ASCII) and 3MF files.",
    "no-triangles": "The file contains no printable geometry.",
}
FORM_OVERHEAD = 1024 * 1024  # multipart boundaries and the other fields, on top of the file itself


PREVIEW_MAX_BYTES = 64 * 1024 * 1024  # larger models are not previewed: the browser would fetch and draw them slowly


@router.get("/models/{file_id}/preview.stl")
async def model_preview(file_id: str, user: UserDep, clients: ClientsDep) -> Response:
    """One of the caller's models as binary STL, for the 3D preview (another account's model is 404)."""
    body = await service.preview_stl(clients.files, user.token, file_id, PREVIEW_MAX_BYTES)
    return Response(body, media_type="model/stl", headers={"Cache-Control": "private, max-age=3600"})


def explain(err: ServiceError, filename: str, limit: str) -> dict[str, str]:
    """A message a customer understands for a failed upload, with the service's own detail kept."""
    if err.status >= 500:
        message = "The upload didn't go through because our file service can't be reached. Please try again."
        return {"code": err.code, "detail": err.detail, "message": message, "tip": ""}
    tip = TIPS.get(err.code, "")
    if err.code == "too-large":
        tip = f"Files up to {limit} are accepted."
    name = f"“{filename}”" if filename else "this file"
    return {"code": err.code, "detail": err.detail, "message": f"We couldn't use {name}: {err.detail}", "tip": tip}


@router.post("/upload", response_model=None)
async def upload(
    request: Request, user: UserDep, clients: ClientsDep, settings: SettingsDep, templates: TemplatesDep
) -> Response:
    """Take one model file (from the drop zone's script, or the plain form) and store it."""
    limit = size_limit(settings.max_upload_bytes)
    if int(request.headers.get("content-length") or 0) > settings.max_upload_bytes + FORM_OVERHEAD:
        too_large = ServiceError(413, "too-large", "The file is larger than the limit.", "shop")
        return await _failed(request, templates, clients, user.token, too_large, "", [], [], limit)
    form = await request.form()
    try:
        verify_csrf(request, form)
        keep = [str(v) for v in form.getlist("keep")]
        names = service.names_for(keep, [str(v) for v in form.getlist("keep_name")])
        file = form.get("file")
        if not isinstance(file, UploadFile) or not file.filename:
            missing = ServiceError(400, "no-file", "Choose a model file to upload.", "shop")
            return await _failed(request, templates, clients, user.token, missing, "", keep, names, limit)
        try:
            stored = await service.upload_model(clients.files, user.token, file, settings.max_upload_bytes)
        except ServiceError as err:
            if err.status == 401:  # the session's token expired: sign in again, as on every other page
                raise
            return await _failed(request, templates, clients, user.token, err, file.filename, keep, names, limit)
        # Bytes this customer uploaded before come back under that first upload's name: this time's name is shown.
        stored = stored.model_copy(update={"filename": file.filename})
    finally:
        await form.close()
    if wants_json(request):
        line = fragment(request, templates, "orders/_line.html", line=LineDraft.of_file(stored))
        return JSONResponse({"file": stored.model_dump(mode="json"), "line_html": line}, status_code=201)
    query = [("file", i) for i in [*keep, stored.id]] + [("name", n) for n in [*names, stored.filename]]
    return redirect("/orders/new?" + urlencode(query))


async def _failed(
    request: Request,
    templates: TemplatesDep,
    clients: ClientsDep,
    token: str,
    err: ServiceError,
    filename: str,
    keep: list[str],
    names: list[str],
    limit: str,
) -> Response:
    status = 503 if err.status >= 500 else err.status
    problem = explain(err, filename, limit)
    if wants_json(request):
        return JSONResponse({**problem, "status": status}, status_code=status)
    lines = await service.drafts_for(clients.files, token, keep, names) if keep else []
    error = f"{problem['message']} {problem['tip']}".strip()
    return new_order_page(request, templates, lines, error=error, status=status)
