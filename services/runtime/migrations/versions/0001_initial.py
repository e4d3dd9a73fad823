"""The tables forewarn started with.

Revision ID: 0001
Revises:
Create Date: 2026-11-29 01:23:35.484066
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notice",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("window_id", sa.String(length=32), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("contact", sa.String(length=320), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.String(length=300), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("window_id", "tenant_id", "contact", "kind", "sequence"),
    )
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_window_id"), ["window_id"], unique=False)

    op.create_table(
        "report",
        sa.Column("window_id", sa.String(length=32), nullable=False),
        sa.Column("window", sa.JSON(), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("tenant_count", sa.Integer(), nullable=False),
        sa.Column("resource_count", sa.Integer(), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ops_reply", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("window_id"),
    )
    op.create_table(
        "report_part",
        sa.Column("window_id", sa.String(length=32), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("window_id", "part"),
    )
    op.create_table(
        "report_tenant",
        sa.Column("window_id", sa.String(length=32), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("impact", sa.String(length=32), nullable=False),
        sa.Column("resources", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("window_id", "tenant_id"),
    )
    op.create_table(
        "site",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "tenant",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "window",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("impact", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("sites", sa.JSON(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("command_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("command_id"),
    )
    with op.batch_alter_table("window", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_window_end"), ["end"], unique=False)
        batch_op.create_index(batch_op.f("ix_window_start"), ["start"], unique=False)
        batch_op.create_index(batch_op.f("ix_window_state"), ["state"], unique=False)

    op.create_table(
        "window_event",
        sa.Column("msg_id", sa.String(length=128), nullable=False),
        sa.Column("window_id", sa.String(length=32), nullable=True),
        sa.Column("cause", sa.String(length=128), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("msg_id"),
    )
    with op.batch_alter_table("window_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_window_event_cause"), ["cause"], unique=False)
        batch_op.create_index(batch_op.f("ix_window_event_window_id"), ["window_id"], unique=False)

    op.create_table(
        "host",
        sa.Column("name", sa.String(length=253), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site"],
            ["site.code"],
        ),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("host", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_host_role"), ["role"], unique=False)
        batch_op.create_index(batch_op.f("ix_host_site"), ["site"], unique=False)

    op.create_table(
        "tenant_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "email"),
    )
    with op.batch_alter_table("tenant_contact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tenant_contact_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "tenant_token",
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id"),
    )
    with op.batch_alter_table("tenant_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tenant_token_token_sha256"), ["token_sha256"], unique=True)

    op.create_table(
        "window_host",
        sa.Column("window_id", sa.String(length=32), nullable=False),
        sa.Column("host", sa.String(length=253), nullable=False),
        sa.ForeignKeyConstraint(
            ["window_id"],
            ["window.id"],
        ),
        sa.PrimaryKeyConstraint("window_id", "host"),
    )
    with op.batch_alter_table("window_host", schema=None) as batch_op:
        batch_op.create_index("ix_window_host_host", ["host"], unique=False)

    op.create_table(
        "resource",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("host", sa.String(length=253), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["host"],
            ["host.name"],
        ),
        sa.ForeignKeyConstraint(
            ["tenant"],
            ["tenant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resource_host"), ["host"], unique=False)
        batch_op.create_index(batch_op.f("ix_resource_tenant"), ["tenant"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_tenant"))
        batch_op.drop_index(batch_op.f("ix_resource_host"))

    op.drop_table("resource")
    with op.batch_alter_table("window_host", schema=None) as batch_op:
        batch_op.drop_index("ix_window_host_host")

    op.drop_table("window_host")
    with op.batch_alter_table("tenant_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tenant_token_token_sha256"))

    op.drop_table("tenant_token")
    with op.batch_alter_table("tenant_contact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tenant_contact_tenant_id"))

    op.drop_table("tenant_contact")
    with op.batch_alter_table("host", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_host_site"))
        batch_op.drop_index(batch_op.f("ix_host_role"))

    op.drop_table("host")
    with op.batch_alter_table("window_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_window_event_window_id"))
        batch_op.drop_index(batch_op.f("ix_window_event_cause"))

    op.drop_table("window_event")
    with op.batch_alter_table("window", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_window_state"))
        batch_op.drop_index(batch_op.f("ix_window_start"))
        batch_op.drop_index(batch_op.f("ix_window_end"))

    op.drop_table("window")
    op.drop_table("tenant")
    op.drop_table("site")
    op.drop_table("report_tenant")
    op.drop_table("report_part")
    op.drop_table("report")
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_window_id"))
        batch_op.drop_index(batch_op.f("ix_notice_state"))

    op.drop_table("notice")
