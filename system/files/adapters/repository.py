"""File metadata repository: port and PostgreSQL adapter."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, fields
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from system.files.domain import Content, ModelFile, Upload
from system.files.schema import contents, grants, uploads
from system.mesh import MeshChecks, MeshSummary

CHECK_FIELDS = frozenset(f.name for f in fields(MeshChecks))


class DuplicateContent(Exception):
    """Another content with the same sha256 was stored first."""


class DuplicateFile(Exception):
    """The account already has a file over this content (a concurrent upload of the same bytes won)."""


class FileRepository(Protocol):
    """What the service layer needs to persist."""

    async def add_upload(self, upload: Upload) -> None: ...
    async def get_upload(self, upload_id: uuid.UUID) -> Upload | None: ...
    async def remove_upload(self, upload_id: uuid.UUID) -> None: ...
    async def sweep_uploads(
        self, created_before: datetime, limit: int, clean: Callable[[Upload], Awaitable[None]]
    ) -> int:
        """Remove up to `limit` uploads created before `created_before`, each after `clean(upload)` succeeded
        (an upload whose clean-up fails stays for the next sweep); return how many were removed."""
        ...

    async def add_content(self, content: Content) -> None: ...
    async def find_content(self, sha256: str) -> Content | None: ...
    async def add_file(self, file: ModelFile) -> None: ...
    async def get_file(self, file_id: uuid.UUID) -> ModelFile | None: ...
    async def find_file(self, owner: uuid.UUID, content_id: uuid.UUID) -> ModelFile | None: ...


class SqlFileRepository:
    """Each call is its own short transaction (there is no multi-step invariant across calls)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def add_upload(self, upload: Upload) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(insert(uploads).values(**asdict(upload)))

    async def get_upload(self, upload_id: uuid.UUID) -> Upload | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(uploads).where(uploads.c.id == upload_id))).mappings().first()
        return Upload(**row) if row else None

    async def remove_upload(self, upload_id: uuid.UUID) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(delete(uploads).where(uploads.c.id == upload_id))

    async def sweep_uploads(
        self, created_before: datetime, limit: int, clean: Callable[[Upload], Awaitable[None]]
    ) -> int:
        # One transaction holds the row locks while the objects are cleaned: SKIP LOCKED lets every replica
        # sweep at once without two of them cleaning the same upload, and a failed clean-up rolls back.
        stale = (
            select(uploads)
            .where(uploads.c.created_at < created_before)
            .order_by(uploads.c.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        async with self.engine.begin() as conn:
            found = [Upload(**row) for row in (await conn.execute(stale)).mappings()]
            for upload in found:
                await clean(upload)
            if found:
                await conn.execute(delete(uploads).where(uploads.c.id.in_([u.id for u in found])))
        return len(found)

    async def add_content(self, content: Content) -> None:
        s = content.summary
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    insert(contents).values(
                        id=content.id,
                        sha256=content.sha256,
                        size=content.size,
                        key=content.key,
                        format=s.format,
                        triangle_count=s.triangle_count,
                        volume_mm3=s.volume_mm3,
                        area_mm2=s.area_mm2,
                        bbox={"min": list(s.bbox_min), "max": list(s.bbox_max)},
                        watertight=s.watertight,
                        shells=s.shells,
                        checks=asdict(s.checks),
                        created_at=content.created_at,
                    )
                )
        except IntegrityError as exc:
            raise DuplicateContent(content.sha256) from exc

    async def find_content(self, sha256: str) -> Content | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(contents).where(contents.c.sha256 == sha256))).mappings().first()
        return _to_content(dict(row)) if row else None

    async def add_file(self, file: ModelFile) -> None:
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    insert(grants).values(
                        id=file.id,
                        content_id=file.content.id,
                        account_id=file.owner,
                        filename=file.filename,
                        created_at=file.created_at,
                    )
                )
        except IntegrityError as exc:
            raise DuplicateFile(file.sha256) from exc

    async def get_file(self, file_id: uuid.UUID) -> ModelFile | None:
        return await self._file(grants.c.id == file_id)

    async def find_file(self, owner: uuid.UUID, content_id: uuid.UUID) -> ModelFile | None:
        return await self._file((grants.c.account_id == owner) & (grants.c.content_id == content_id))

    async def _file(self, where: Any) -> ModelFile | None:
        query = select(
            grants.c.id.label("grant_id"),
            grants.c.account_id,
            grants.c.filename,
            grants.c.created_at.label("granted_at"),
            *contents.c,
        ).join_from(grants, contents, grants.c.content_id == contents.c.id)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query.where(where))).mappings().first()
        if row is None:
            return None
        return ModelFile(
            id=row["grant_id"],
            owner=row["account_id"],
            filename=row["filename"],
            content=_to_content(dict(row)),
            created_at=row["granted_at"],
        )


def _to_content(row: dict[str, Any]) -> Content:
    summary = MeshSummary(
        format=row["format"],
        triangle_count=row["triangle_count"],
        volume_mm3=row["volume_mm3"],
        area_mm2=row["area_mm2"],
        bbox_min=tuple(row["bbox"]["min"]),
        bbox_max=tuple(row["bbox"]["max"]),
        watertight=row["watertight"],
        shells=row["shells"],
        checks=MeshChecks(**{k: v for k, v in row["checks"].items() if k in CHECK_FIELDS}),
    )
    return Content(
        id=row["id"],
        sha256=row["sha256"],
        size=row["size"],
        key=row["key"],
        summary=summary,
        created_at=row["created_at"],
    )
