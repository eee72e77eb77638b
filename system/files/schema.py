"""The File Service's tables (its own database; migrations in system/files/migrations)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from system.kernel.db import new_metadata
from system.kernel.messaging.tables import inbox_table, outbox_table

metadata = new_metadata()

# One row per distinct content (sha256): the bytes are stored once, whoever uploads them.
contents = Table(
    "contents",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("sha256", Text, nullable=False, unique=True),
    Column("size", BigInteger, nullable=False),
    Column("key", Text, nullable=False),
    Column("format", Text, nullable=False),
    Column("triangle_count", Integer, nullable=False),
    Column("volume_mm3", Float, nullable=False),
    Column("area_mm2", Float, nullable=False),
    Column("bbox", JSONB, nullable=False),
    Column("watertight", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("shells", Integer, nullable=False, server_default="1"),
    Column("checks", JSONB, nullable=False, server_default=text("'{}'::jsonb")),  # MeshChecks as a dict
)

# One row per account and content: the account's own file (the public file id), name and date.
# account_id NULL: a file from before ownership, visible to operators only (several may share a content).
grants = Table(
    "grants",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("content_id", Uuid, ForeignKey("contents.id"), nullable=False),
    Column("account_id", Uuid),
    Column("filename", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("account_id", "content_id"),
)

uploads = Table(
    "uploads",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("account_id", Uuid),
    Column("filename", Text, nullable=False),
    Column("declared_size", BigInteger, nullable=False),
    Column("key", Text, nullable=False),
    Column("multipart_id", Text),
    Column("part_count", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_uploads_created_at", "created_at"),  # the sweeper looks for the oldest
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
