"""the account an order belongs to (pricing workers read its models acting for it)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 19:20:00

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
    op.add_column("mes_orders", sa.Column("customer_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("mes_orders", "customer_id")
