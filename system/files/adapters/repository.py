"""File metadata repository: port and PostgreSQL adapter."""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from system.files.domain import ModelFile, Upload
from system.files.schema import files, uploads
from system.mesh import MeshSummary


class DuplicateContent(Exception):
    """Another file with the same sha256 was stored first."""


class FileRepository(Protocol):
    """What the service layer needs to persist."""

    async def add_upload(self, upload: Upload) -> None: ...
    async def get_upload(self, upload_id: uuid.UUID) -> Upload | None: ...
    async def remove_upload(self, upload_id: uuid.UUID) -> None: ...
    async def add_file(self, file: ModelFile) -> None: ...
    async def get_file(self, file_id: uuid.UUID) -> ModelFile | None: ...
    async def find_by_sha256(self, sha256: str) -> ModelFile | None: ...


class SqlFileRepository:
    """Each call is its own short transaction (there is no multi-step invariant across calls)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def add_upload(self, upload: Upload) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(uploads).values(
                    id=upload.id,
                    filename=upload.filename,
                    declared_size=upload.declared_size,
                    key=upload.key,
                    multipart_id=upload.multipart_id,
                    part_count=upload.part_count,
                    created_at=upload.created_at,
                )
            )

    async def get_upload(self, upload_id: uuid.UUID) -> Upload | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(uploads).where(uploads.c.id == upload_id))).mappings().first()
        return Upload(**row) if row else None

    async def remove_upload(self, upload_id: uuid.UUID) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(delete(uploads).where(uploads.c.id == upload_id))

    async def add_file(self, file: ModelFile) -> None:
        s = file.summary
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    insert(files).values(
                        id=file.id,
                        sha256=file.sha256,
                        size=file.size,
                        filename=file.filename,
                        key=file.key,
                        format=s.format,
                        triangle_count=s.triangle_count,
                        volume_mm3=s.volume_mm3,
                        area_mm2=s.area_mm2,
                        bbox={"min": list(s.bbox_min), "max": list(s.bbox_max)},
                        watertight=s.watertight,
                        created_at=file.created_at,
                    )
                )
        except IntegrityError as exc:
            raise DuplicateContent(file.sha256) from exc

    async def get_file(self, file_id: uuid.UUID) -> ModelFile | None:
        return await self._one(files.c.id == file_id)

    async def find_by_sha256(self, sha256: str) -> ModelFile | None:
        return await self._one(files.c.sha256 == sha256)

    async def _one(self, where: Any) -> ModelFile | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(files).where(where))).mappings().first()
        return _to_file(dict(row)) if row else None


def _to_file(row: dict[str, Any]) -> ModelFile:
    summary = MeshSummary(
        format=row["format"],
        triangle_count=row["triangle_count"],
        volume_mm3=row["volume_mm3"],
        area_mm2=row["area_mm2"],
        bbox_min=tuple(row["bbox"]["min"]),
        bbox_max=tuple(row["bbox"]["max"]),
        watertight=row["watertight"],
    )
    return ModelFile(
        id=row["id"],
        sha256=row["sha256"],
        size=row["size"],
        filename=row["filename"],
        key=row["key"],
        summary=summary,
        created_at=row["created_at"],
    )
