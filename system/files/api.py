"""File Service HTTP API: parse, call the service, map domain errors to problem+json."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from system.files import service
from system.files.deps import CallerDep, RepoDep, SettingsDep, StoreDep, current_caller
from system.files.domain import Forbidden, ModelFile, NotFound, UploadIncomplete, UploadRejected
from system.kernel.errors import Problem
from system.kernel.messaging.catalogue import Unit
from system.mesh.units import likely_units

# Every route needs a caller (set here, so no route can forget it); the routes also take it as an argument
# (FastAPI resolves it once per request).
router = APIRouter(prefix="/files", tags=["files"], dependencies=[Depends(current_caller)])

PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid bearer token (a person's, or a service token for the File Service)"},
    404: {"description": "No such upload or file, or not one of the caller's"},
    409: {"description": "The bytes have not been (completely) uploaded yet"},
    413: {"description": "The file is larger than the limit"},
    422: {"description": "The file is not a valid model, not the declared size, or the request is malformed"},
}
UPLOAD_PROBLEMS: dict[int | str, dict[str, Any]] = {
    **PROBLEMS,
    403: {"description": "A service token acting for no account cannot upload"},
}


class UploadRequest(BaseModel):
    filename: str = Field(min_length=1, max_length=255, pattern=r"^[^/\\\x00]+$")
    size: int = Field(ge=0, description="Size in bytes of the file the client will upload")


class UploadPart(BaseModel):
    part_number: int
    url: str


class UploadResponse(BaseModel):
    upload_id: uuid.UUID
    method: str = "PUT"
    url: str | None = Field(description="Single-PUT URL (null for multipart uploads)")
    parts: list[UploadPart] = Field(description="Multipart: PUT each part, keep each response's ETag")
    part_size: int
    expires_in: int
    complete_url: str


class CompletedPart(BaseModel):
    part_number: int = Field(ge=1, le=10_000)
    etag: str = Field(min_length=1, max_length=200)


class CompleteRequest(BaseModel):
    parts: list[CompletedPart] = Field(default=[], max_length=10_000)


class MeshChecksOut(BaseModel):
    """What measuring the mesh repaired or found (system/mesh/summary.py MeshChecks), with warnings."""

    welded_vertices: int
    degenerate_faces: int
    duplicate_faces: int
    flipped_faces: int
    inverted_shells: int
    cavities: int
    crossing_shells: int
    orientable: bool
    warnings: list[str]


class FileOut(BaseModel):
    id: uuid.UUID
    sha256: str
    size: int
    filename: str
    format: str
    triangle_count: int
    volume_mm3: float
    area_mm2: float
    bbox_min: tuple[float, float, float]
    bbox_max: tuple[float, float, float]
    watertight: bool
    shells: int = Field(description="Closed or open surfaces the model is made of")
    checks: MeshChecksOut
    likely_units: list[Unit] = Field(
        description="Units the model was probably drawn in when, read in mm, it is no plausible print (else [])"
    )
    created_at: datetime
    deduplicated: bool = Field(default=False, description="The caller had uploaded these same bytes before")

    @classmethod
    def of(cls, f: ModelFile, deduplicated: bool = False) -> FileOut:
        s = f.summary
        return cls(
            id=f.id,
            sha256=f.sha256,
            size=f.size,
            filename=f.filename,
            format=s.format,
            triangle_count=s.triangle_count,
            volume_mm3=s.volume_mm3,
            area_mm2=s.area_mm2,
            bbox_min=s.bbox_min,
            bbox_max=s.bbox_max,
            watertight=s.watertight,
            shells=s.shells,
            checks=MeshChecksOut(**asdict(s.checks), warnings=list(s.checks.warnings())),
            likely_units=list(likely_units(s)),
            created_at=f.created_at,
            deduplicated=deduplicated,
        )


class DownloadOut(BaseModel):
    file_id: uuid.UUID
    url: str
    expires_in: int


def problem_for(exc: Exception) -> Problem:
    """The problem+json answer to a domain exception a route let through (registered in app.py)."""
    if isinstance(exc, UploadRejected):
        return Problem(413 if exc.code == "too-large" else 422, exc.code, exc.detail)
    if isinstance(exc, UploadIncomplete):
        return Problem(409, "upload-incomplete", str(exc))
    if isinstance(exc, Forbidden):
        return Problem(403, "forbidden", str(exc))
    return Problem(404, "not-found", str(exc))


DOMAIN_ERRORS = (UploadRejected, UploadIncomplete, NotFound, Forbidden)


@router.post(
    "/uploads",
    status_code=201,
    response_model=UploadResponse,
    responses=UPLOAD_PROBLEMS,
    summary="Start an upload for the caller's account: presigned URL(s), each bound to its exact length",
)
async def start_upload(
    body: UploadRequest, caller: CallerDep, store: StoreDep, repo: RepoDep, settings: SettingsDep
) -> UploadResponse:
    if body.size == 0:
        raise Problem(422, "empty-file", "The file is empty (0 bytes).")
    ticket = await service.start_upload(caller, body.filename, body.size, store=store, repo=repo, settings=settings)
    multipart = ticket.upload.part_count > 1
    return UploadResponse(
        upload_id=ticket.upload.id,
        url=None if multipart else ticket.urls[0],
        parts=[UploadPart(part_number=n, url=u) for n, u in enumerate(ticket.urls, 1)] if multipart else [],
        part_size=ticket.part_size,
        expires_in=ticket.expires_in,
        complete_url=f"/files/uploads/{ticket.upload.id}/complete",
    )


@router.post(
    "/uploads/{upload_id}/complete",
    status_code=201,
    response_model=FileOut,
    responses={
        200: {"model": FileOut, "description": "The caller uploaded the same bytes before: that file of theirs"},
        **PROBLEMS,
    },
    summary="Validate the uploaded bytes and store the file (only the account that started the upload)",
)
async def complete_upload(
    upload_id: uuid.UUID,
    caller: CallerDep,
    store: StoreDep,
    repo: RepoDep,
    settings: SettingsDep,
    response: Response,
    body: CompleteRequest | None = None,
) -> FileOut:
    parts = [(p.part_number, p.etag) for p in (body.parts if body else [])]
    file, deduplicated = await service.complete_upload(
        caller, upload_id, parts, store=store, repo=repo, settings=settings
    )
    if deduplicated:
        response.status_code = 200
    return FileOut.of(file, deduplicated)


@router.get("/{file_id}", response_model=FileOut, responses=PROBLEMS, summary="File metadata (the caller's files)")
async def get_file(file_id: uuid.UUID, caller: CallerDep, repo: RepoDep) -> FileOut:
    return FileOut.of(await service.get_file(caller, file_id, repo=repo))


@router.get(
    "/{file_id}/download",
    response_model=DownloadOut,
    responses=PROBLEMS,
    summary="A presigned URL to download the file",
)
async def download(
    file_id: uuid.UUID, caller: CallerDep, store: StoreDep, repo: RepoDep, settings: SettingsDep
) -> DownloadOut:
    file, url = await service.download_url(caller, file_id, store=store, repo=repo, settings=settings)
    return DownloadOut(file_id=file.id, url=url, expires_in=settings.presign_ttl_seconds)
