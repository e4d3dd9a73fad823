"""Delegations a contact made from its calendar: only a delegate so named answers for it.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_delegation",
        sa.Column("window_id", sa.String(length=32), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("delegate", sa.String(length=320), nullable=False),
        sa.Column("delegator", sa.String(length=320), nullable=False),
        sa.PrimaryKeyConstraint("window_id", "tenant_id", "delegate"),
    )


def downgrade() -> None:
    op.drop_table("calendar_delegation")
