"""Webhook secrets sealed at rest: a Fernet token is longer than the 64 characters a clear one took.

Revision ID: 0011
Revises: 0010

The secrets themselves are sealed by the notifier's next start (or
`forewarn webhook reseal`), which holds FOREWARN_SECRET_KEY; a migration never does.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_endpoint") as batch:
        batch.alter_column(
            "secret", type_=sa.Text(), existing_type=sa.String(length=64), existing_nullable=False
        )
        batch.alter_column(
            "previous_secret", type_=sa.Text(), existing_type=sa.String(length=64), existing_nullable=True
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_endpoint") as batch:
        batch.alter_column(
            "secret", type_=sa.String(length=64), existing_type=sa.Text(), existing_nullable=False
        )
        batch.alter_column(
            "previous_secret", type_=sa.String(length=64), existing_type=sa.Text(), existing_nullable=True
        )
