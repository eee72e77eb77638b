"""The MES's tables (its own database; migrations in system/mes/migrations)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Float, ForeignKey, Integer, Numeric, Table, Text, Uuid
from sqlalchemy.dialects.postgresql import JSONB

from system.kernel.db import new_metadata
from system.kernel.messaging.tables import inbox_table, outbox_table

metadata = new_metadata()

mes_orders = Table(
    "mes_orders",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("customer_kind", Text, nullable=False),
    Column("contract_discount_pct", Numeric(5, 2), nullable=False),
    Column("lines", JSONB, nullable=False),
    Column("stage", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("customer_id", Uuid),
)

pricing_jobs = Table(
    "pricing_jobs",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("order_id", Uuid, ForeignKey("mes_orders.id"), nullable=False, index=True),
    Column("line_id", Uuid, nullable=False),
    Column("state", Text, nullable=False),
    Column("percent", Float, nullable=False),
    Column("unit_price", Numeric(12, 2)),
    Column("total_price", Numeric(12, 2)),
    Column("warnings", JSONB, nullable=False),
    Column("reason", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("stage", Text, nullable=False, server_default=""),
    Column("breakdown", JSONB, nullable=False, server_default="{}"),
    Column("build", JSONB),
)

production_jobs = Table(
    "production_jobs",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("order_id", Uuid, ForeignKey("mes_orders.id"), nullable=False, unique=True),
    Column("lines", JSONB, nullable=False),
    Column("state", Text, nullable=False, index=True),
    Column("attempts", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
