"""The CRM's tables (its own database; migrations in system/crm/migrations)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    Table,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

from system.kernel.db import new_metadata
from system.kernel.messaging.tables import inbox_table, outbox_table

metadata = new_metadata()

accounts = Table(
    "accounts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("email", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("kind", Text),
    Column("contract_discount_pct", Numeric(5, 2), nullable=False, server_default="0"),
    Column("password_hash", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("customer_id", Uuid, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("state", Text, nullable=False, index=True),
    Column("total_price", Numeric(12, 2)),
    Column("currency", Text, nullable=False),
    Column("failure_reasons", JSONB, nullable=False, server_default="[]"),
    Column("idempotency_key", Text),  # the key it was placed with (the live binding is in idempotency_keys)
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("state_since", DateTime(timezone=True), nullable=False),
    # A confirmed order's cancellation: requested, then accepted or refused by MES, with the reason.
    Column("cancellation_status", Text),
    Column("cancellation_reason", Text),
    # The sequence number of the last production event applied: older ones are stale, newer ones wait.
    Column("production_seq", Integer, nullable=False, server_default="0"),
    # The trace the order was placed in (32 hex digits), for operators following it; NULL for older orders.
    Column("trace_id", Text),
)

# Idempotency-Key -> the order it placed, per account, until it expires (then the key may place a new order).
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("customer_id", Uuid, primary_key=True),
    Column("key", Text, primary_key=True),
    Column("request_hash", Text, nullable=False),
    Column("order_id", Uuid, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("order_id", Uuid, ForeignKey("orders.id"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("file_id", Uuid, nullable=False),
    Column("filename", Text, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("material", Text, nullable=False),
    Column("process", Text, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("lead_time_days", Integer, nullable=False),
    Column("unit", Text, nullable=False, server_default="mm"),  # the model's length unit (Unit)
    Column("unit_price", Numeric(12, 2)),
    Column("total_price", Numeric(12, 2)),
    Column("warnings", JSONB, nullable=False, server_default="[]"),
    Column("breakdown", JSONB, nullable=False, server_default="{}"),
    Column("build", JSONB),
)

order_timeline = Table(
    "order_timeline",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("order_id", Uuid, ForeignKey("orders.id"), nullable=False, index=True),
    Column("state", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("message_id", Uuid),
    Column("trace_id", Text),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
