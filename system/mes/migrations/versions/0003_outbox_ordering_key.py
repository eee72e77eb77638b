"""the outbox's ordering key: one order's messages are published in order by any relay replica

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 22:00:00

"""

from collections.abc import Sequence

from system.kernel.messaging.migrations import add_outbox_ordering_key_v2, drop_outbox_ordering_key_v2

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    add_outbox_ordering_key_v2()


def downgrade() -> None:
    """Downgrade schema."""
    drop_outbox_ordering_key_v2()
