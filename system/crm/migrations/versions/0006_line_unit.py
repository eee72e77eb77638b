"""the unit each order line's model was drawn in

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 04:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema: lines ordered before units were priced as millimetres."""
    op.add_column("order_lines", sa.Column("unit", sa.Text(), nullable=False, server_default="mm"))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("order_lines", "unit")
