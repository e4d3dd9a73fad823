"""The end each notice told its contact, so an extension's mail can say by how much it grew.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: notices sent before this revision told an end nobody recorded.
    with op.batch_alter_table("notice") as batch_op:
        batch_op.add_column(sa.Column("end", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notice") as batch_op:
        batch_op.drop_column("end")
