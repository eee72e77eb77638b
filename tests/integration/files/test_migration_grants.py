"""Migration 0002 on a database holding files from before ownership: each becomes a content and a grant with no
account (operators only) under its old id, so file ids already stored in orders still name the same file."""

from __future__ import annotations

import uuid

from alembic import command

from system.kernel.db import alembic_config
from system.stack.stack import Stack


def test_existing_files_become_operator_only_grants_under_their_old_ids(stack: Stack, unique: str) -> None:
    database = f"migrate_files_{unique}"
    stack.postgres.create_database(database)
    try:
        cfg = alembic_config("system.files.migrations", stack.settings.database_url(database))
        command.upgrade(cfg, "0001")
        file_id, upload_id = uuid.uuid4(), uuid.uuid4()
        stack.postgres.psql(
            "INSERT INTO files (id, sha256, size, filename, key, format, triangle_count, volume_mm3, area_mm2, bbox, "
            f"watertight) VALUES ('{file_id}', 'ab12', 84, 'old-bracket.stl', 'models/sha256/ab/ab12', 'stl-binary', "
            """12, 1000, 600, '{"min": [0, 0, 0], "max": [10, 10, 10]}', true)""",
            database,
        )
        stack.postgres.psql(
            "INSERT INTO uploads (id, filename, declared_size, key, part_count) "
            f"VALUES ('{upload_id}', 'half.stl', 100, 'uploads/{upload_id}', 1)",
            database,
        )

        command.upgrade(cfg, "head")

        grant = stack.postgres.psql(
            "SELECT g.id, g.content_id, coalesce(g.account_id::text, 'none'), g.filename, c.sha256 "
            "FROM grants g JOIN contents c ON c.id = g.content_id",
            database,
        )
        assert grant == f"{file_id}|{file_id}|none|old-bracket.stl|ab12"
        assert stack.postgres.psql("SELECT coalesce(account_id::text, 'none') FROM uploads", database) == "none"
        command.downgrade(cfg, "0001")
        assert stack.postgres.psql("SELECT id, filename FROM files", database) == f"{file_id}|old-bracket.stl"
    finally:
        stack.postgres.drop_database(database)
