"""cancellation requests on orders; idempotency keys with an expiry in their own table

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 19:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("orders", sa.Column("cancellation_status", sa.Text(), nullable=True))
    op.add_column("orders", sa.Column("cancellation_reason", sa.Text(), nullable=True))
    op.create_table(
        "idempotency_keys",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("request_hash", sa.Text(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index(op.f("ix_idempotency_keys_expires_at"), "idempotency_keys", ["expires_at"], unique=False)
    # Keys already used keep naming their orders for one more TTL; a key may name a new order after expiry.
    op.execute(
        "INSERT INTO idempotency_keys (customer_id, key, request_hash, order_id, expires_at) "
        "SELECT customer_id, idempotency_key, '', id, now() + interval '24 hours' FROM orders "
        "WHERE idempotency_key IS NOT NULL"
    )
    op.drop_constraint("uq_orders_customer_idempotency_key", "orders", type_="unique")


def downgrade() -> None:
    """Downgrade schema."""
    op.create_unique_constraint("uq_orders_customer_idempotency_key", "orders", ["customer_id", "idempotency_key"])
    op.drop_index(op.f("ix_idempotency_keys_expires_at"), table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_column("orders", "cancellation_reason")
    op.drop_column("orders", "cancellation_status")
