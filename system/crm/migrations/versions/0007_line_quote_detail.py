"""each quoted line's breakdown and how its part is built

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 07:05:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema: lines quoted before this show no breakdown."""
    op.add_column("order_lines", sa.Column("breakdown", postgresql.JSONB(), nullable=False, server_default="{}"))
    op.add_column("order_lines", sa.Column("build", postgresql.JSONB(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("order_lines", "build")
    op.drop_column("order_lines", "breakdown")
