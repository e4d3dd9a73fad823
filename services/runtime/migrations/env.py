"""Alembic's entry point: always called by forewarn.services.runtime.migrate, with a connection."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context
from sqlmodel.sql.sqltypes import AutoString

from forewarn.services.platform.db import UtcDateTime
from forewarn.services.runtime.migrate import metadata


def _render(type_: str, obj: Any, _autogen: Any) -> str | bool:
    # Migrations name plain SQLAlchemy types, so they never import forewarn's
    # code, which may change after a migration is written.
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=metadata(),
    render_item=_render,
    # SQLite alters a table by copying it; batch mode writes migrations that do.
    render_as_batch=True,
    compare_type=True,
    user_module_prefix="sa.",
)
with context.begin_transaction():
    context.run_migrations()

__all__ = ["sa"]
