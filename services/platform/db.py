"""The database engine: SQLite by default, PostgreSQL in production."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import DateTime, Engine, TypeDecorator, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, create_engine

from ..privacy.files import private_database

T = TypeVar("T")


class UtcDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: forewarn stores aware times only")
        value = value.astimezone(UTC)
        # SQLite has no time zones; store UTC wall time, read it back as UTC.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def create_db_engine(url: str) -> Engine:
    """Build an engine; call once at service start-up, never at import."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            private_database(Path(parsed.database))
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # The URL object itself: its str() masks the password as "***".
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the services (one process each) read while one writes; the busy
    # timeout makes a writer wait instead of failing with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# Names per IN (...) list: under every driver's bound-parameter limit
# (SQLite's 32,766, PostgreSQL's 65,535), with room for the rest of the query.
IN_LIST_MAX = 900


def in_chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    """A long list of names in slices small enough for one IN (...) each."""
    for start in range(0, len(values), IN_LIST_MAX):
        yield values[start : start + IN_LIST_MAX]


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session whose work commits together, or not at all."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


def again_on_conflict(work: Callable[..., T], *args: Any) -> T:
    """Run work; if a concurrent writer inserted the same key first, run it once more.

    The second run finds the row the other writer committed, so it updates
    (or locks) it instead of inserting.
    """
    try:
        return work(*args)
    except IntegrityError:
        return work(*args)


@contextmanager
def erasing(engine: Engine) -> Iterator[Session]:
    """A transaction whose deletions and overwritten values leave no copy in the database's files.

    SQLite keeps a deleted row's bytes in free space and in its write-ahead log
    until they are reused: secure_delete overwrites them with zeros, and a
    truncating checkpoint empties the log. PostgreSQL keeps old row versions
    until a vacuum, and a plain one only marks their space free: VACUUM FULL
    (vacuum_full) writes the tables anew. Copies in backups age out with the backups.
    """
    sqlite = engine.dialect.name == "sqlite"
    with Session(engine, expire_on_commit=False) as session:
        with session.begin():
            if sqlite:
                session.connection().exec_driver_sql("PRAGMA secure_delete=ON")
            yield session
        if sqlite:
            session.connection().exec_driver_sql("PRAGMA secure_delete=OFF")
            session.connection().exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            session.commit()


def vacuum_full(engine: Engine, tables: Sequence[str]) -> None:
    """Write PostgreSQL tables anew, so no old version of a row stays in their files (see erasing)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"VACUUM FULL {', '.join(tables)}")
