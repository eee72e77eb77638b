"""what a pricing job is doing, and the quote's breakdown and build

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 07:05:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema: jobs priced before this have an empty stage and breakdown and no build."""
    op.add_column("pricing_jobs", sa.Column("stage", sa.Text(), nullable=False, server_default=""))
    op.add_column("pricing_jobs", sa.Column("breakdown", postgresql.JSONB(), nullable=False, server_default="{}"))
    op.add_column("pricing_jobs", sa.Column("build", postgresql.JSONB(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    for column in ("build", "breakdown", "stage"):
        op.drop_column("pricing_jobs", column)
