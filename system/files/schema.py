"""The File Service's tables (its own database; migrations in system/files/migrations)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Float, Integer, Table, Text, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB

from system.kernel.db import new_metadata
from system.kernel.messaging.tables import inbox_table, outbox_table

metadata = new_metadata()

files = Table(
    "files",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("sha256", Text, nullable=False, unique=True),
    Column("size", BigInteger, nullable=False),
    Column("filename", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("format", Text, nullable=False),
    Column("triangle_count", Integer, nullable=False),
    Column("volume_mm3", Float, nullable=False),
    Column("area_mm2", Float, nullable=False),
    Column("bbox", JSONB, nullable=False),
    Column("watertight", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

uploads = Table(
    "uploads",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("filename", Text, nullable=False),
    Column("declared_size", BigInteger, nullable=False),
    Column("key", Text, nullable=False),
    Column("multipart_id", Text),
    Column("part_count", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
