"""The store's schema, moved forward by Alembic migrations (services/runtime/migrations/)."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, MetaData, inspect, text

from ..platform.config import StartupError

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported only where a migration runs or is looked up: it costs a
# CLI call 0.2 s, and a store that is already current never needs it.

# The first revision: the tables as they were before forewarn had migrations.
BASELINE = "0001"
# The newest revision in migrations/versions. A unit test checks it against
# Alembic's own answer, so a new migration cannot forget to move it.
HEAD = "0013"
# Any fixed number: the PostgreSQL advisory lock that one upgrade at a time holds.
_PG_LOCK = 0x666F7265  # "fore"


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "forewarn.services.runtime:migrations")
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The revision this code expects, as Alembic reads it from the migration scripts."""
    from alembic.script import ScriptDirectory

    found = ScriptDirectory.from_config(_config()).get_current_head()
    assert found is not None
    return found


def current(engine: Engine) -> str | None:
    """The revision the database is at; None if it has never been migrated."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Migrate the database to the revision; safe to run from several processes at once."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    with _one_at_a_time(engine) as conn:
        config = _config(conn)
        if MigrationContext.configure(conn).get_current_revision() is None and inspect(conn).has_table(
            "window"
        ):
            # Tables made before migrations existed are the baseline's.
            command.stamp(config, BASELINE)
        command.upgrade(config, revision)
        conn.commit()
    return current(engine)


def check(engine: Engine) -> None:
    """Refuse to start on a database the code does not match, saying what to run."""
    at, expected = current(engine), head()
    if at != expected:
        where = "has no forewarn tables" if at is None else f"is at revision {at}"
        raise StartupError(
            f"the database {where}; this forewarn needs {expected}: "
            "run `forewarn db upgrade` (or set FOREWARN_DB_AUTO_MIGRATE=1)"
        )


def prepare(engine: Engine, *, auto_migrate: bool) -> None:
    """At start: migrate if this process may, else check the schema is current."""
    if _stamped(engine) == {HEAD}:
        return
    if auto_migrate:
        upgrade(engine)
    else:
        check(engine)


def _stamped(engine: Engine) -> set[str]:
    """The revisions the database's alembic_version table holds, read without Alembic."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return set()
        return set(conn.scalars(text("SELECT version_num FROM alembic_version")))


@contextmanager
def _one_at_a_time(engine: Engine) -> Iterator[Connection]:
    """A connection that alone may migrate: services that start together take turns."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PG_LOCK})
            conn.commit()
            try:
                yield conn
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_LOCK})
                conn.commit()
            return
        database = engine.url.database
        if engine.dialect.name != "sqlite" or not database or database == ":memory:":
            yield conn
            return
        with open(Path(database).with_suffix(".migrate-lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield conn


def metadata() -> MetaData:
    """Every forewarn table, as the migrations and their tests see them."""
    from sqlmodel import SQLModel

    # Importing the table modules registers them on SQLModel.metadata.
    from ..answers import store as _answers  # noqa: F401
    from ..impact import models as _impact  # noqa: F401
    from ..inventory import models as _inventory  # noqa: F401
    from ..mail import models as _mail  # noqa: F401
    from ..replies import models as _replies  # noqa: F401
    from ..reporter import models as _reporter  # noqa: F401
    from ..scheduler import models as _scheduler  # noqa: F401
    from ..statuspage import models as _statuspage  # noqa: F401
    from ..webhooks import store as _webhooks  # noqa: F401

    return SQLModel.metadata
