"""what measuring a model found: its shells and the repairs and findings of the mesh checks

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 04:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema: contents measured before this keep one shell and no findings."""
    op.add_column("contents", sa.Column("shells", sa.Integer(), nullable=False, server_default="1"))
    op.add_column("contents", sa.Column("checks", JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("contents", "checks")
    op.drop_column("contents", "shells")
