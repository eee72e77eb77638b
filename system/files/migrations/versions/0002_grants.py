"""files belong to accounts: contents (one per sha256) and grants (one per account and content); uploads
record their account

Existing files become contents and grants without an account (operators only), each grant keeping the old
file id, so ids already stored in orders still name the same file.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.rename_table("files", "contents")
    op.execute("ALTER TABLE contents RENAME CONSTRAINT pk_files TO pk_contents")
    op.execute("ALTER TABLE contents RENAME CONSTRAINT uq_files_sha256 TO uq_contents_sha256")
    op.create_table(
        "grants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("content_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid()),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_grants"),
        sa.ForeignKeyConstraint(["content_id"], ["contents.id"], name="fk_grants_content_id_contents"),
        sa.UniqueConstraint("account_id", "content_id", name="uq_grants_account_id"),
    )
    op.execute(
        "INSERT INTO grants (id, content_id, account_id, filename, created_at) "
        "SELECT id, id, NULL, filename, created_at FROM contents"
    )
    op.drop_column("contents", "filename")
    # Uploads started before this have no account: nobody can complete them, and the sweeper removes them.
    op.add_column("uploads", sa.Column("account_id", sa.Uuid()))
    op.create_index("ix_uploads_created_at", "uploads", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_uploads_created_at", table_name="uploads")
    op.drop_column("uploads", "account_id")
    op.add_column("contents", sa.Column("filename", sa.Text()))
    # Each content gets back the name of its earliest file (as before: the first uploader's name).
    op.execute(
        "UPDATE contents c SET filename = (SELECT g.filename FROM grants g WHERE g.content_id = c.id "
        "ORDER BY g.created_at LIMIT 1)"
    )
    op.execute("UPDATE contents SET filename = 'model' WHERE filename IS NULL")
    op.alter_column("contents", "filename", nullable=False)
    op.drop_table("grants")
    op.execute("ALTER TABLE contents RENAME CONSTRAINT uq_contents_sha256 TO uq_files_sha256")
    op.execute("ALTER TABLE contents RENAME CONSTRAINT pk_contents TO pk_files")
    op.rename_table("contents", "files")
