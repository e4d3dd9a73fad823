"""Drift: whom each scheduled window affects as last told, and the report's joined and left tenants.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "impact_window",
        sa.Column("window_id", sa.String(length=32), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("drift", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("window_id"),
    )
    op.create_table(
        "impact_tenant",
        sa.Column("window_id", sa.String(length=32), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("window_id", "tenant_id"),
    )
    op.create_table(
        "report_change",
        sa.Column("window_id", sa.String(length=32), nullable=False),
        sa.Column("drift", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("change", sa.String(length=8), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("window_id", "drift", "revision", "tenant_id"),
    )


def downgrade() -> None:
    op.drop_table("report_change")
    op.drop_table("impact_tenant")
    op.drop_table("impact_window")
