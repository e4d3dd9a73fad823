"""Every inventory row records its source; hosts an availability zone; a kind may be a flavor;
host_hold records the compute services forewarn disabled for a window.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ("site", "host", "tenant", "resource")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            # Rows from before sources existed came from inventory files.
            batch.add_column(sa.Column("source", sa.String(length=64), nullable=False, server_default="file"))
            batch.create_index(f"ix_{table}_source", ["source"])
    with op.batch_alter_table("host") as batch:
        batch.add_column(sa.Column("zone", sa.String(length=255), nullable=False, server_default=""))
    with op.batch_alter_table("resource") as batch:
        batch.alter_column("kind", type_=sa.String(length=64), existing_type=sa.String(length=16))
    op.create_table(
        "host_hold",
        sa.Column("window_id", sa.String(length=32), nullable=False),
        sa.Column("host", sa.String(length=253), nullable=False),
        sa.Column("ours", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("window_id", "host"),
    )


def downgrade() -> None:
    op.drop_table("host_hold")
    with op.batch_alter_table("host") as batch:
        batch.drop_column("zone")
    with op.batch_alter_table("resource") as batch:
        batch.alter_column("kind", type_=sa.String(length=16), existing_type=sa.String(length=64))
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_source")
            batch.drop_column("source")
