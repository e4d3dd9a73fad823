"""Recurring windows: the series, and each window's place in one.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "window_series",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("rrule", sa.String(length=500), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("first_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_local", sa.String(length=19), nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.JSON(), nullable=False),
        sa.Column("lead_window_id", sa.String(length=32), nullable=False),
        sa.Column("cut", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replaced_by", sa.String(length=32), nullable=True),
        sa.Column("command_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("command_id"),
    )
    with op.batch_alter_table("window") as batch:
        batch.add_column(sa.Column("series_id", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("recurrence_id", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("recurrence_local", sa.String(length=19), nullable=True))
        batch.create_index("ix_window_series_id", ["series_id"])
        batch.create_foreign_key("fk_window_series_id", "window_series", ["series_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("window") as batch:
        batch.drop_constraint("fk_window_series_id", type_="foreignkey")
        batch.drop_index("ix_window_series_id")
        batch.drop_column("recurrence_local")
        batch.drop_column("recurrence_id")
        batch.drop_column("series_id")
    op.drop_table("window_series")
