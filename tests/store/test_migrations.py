"""The migrations build the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from forewarn.services.cli.main import app
from forewarn.services.platform.config import StartupError
from forewarn.services.platform.db import create_db_engine
from forewarn.services.runtime import migrate
from forewarn.services.runtime.migrate import metadata


def test_migrations_build_exactly_what_the_models_describe(engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata()) == []
    assert migrate.current(engine) == migrate.head()


def test_the_fast_head_is_alembics_head(engine) -> None:
    """A current store is recognised without Alembic; that needs HEAD to be the real head."""
    assert migrate.head() == migrate.HEAD
    assert migrate._stamped(engine) == {migrate.HEAD}


def test_db_upgrade_creates_then_leaves_alone(db_url, monkeypatch) -> None:
    monkeypatch.setenv("FOREWARN_DATABASE_URL", db_url)
    runner = CliRunner()
    before = runner.invoke(app, ["db", "current"])
    assert before.exit_code == 1, before.output
    assert "no revision" in before.output

    first = runner.invoke(app, ["db", "upgrade", "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["from"] is None
    assert json.loads(first.output)["to"] == migrate.head()

    again = runner.invoke(app, ["db", "upgrade"])
    assert again.exit_code == 0, again.output
    assert "nothing to do" in again.output
    assert runner.invoke(app, ["db", "current"]).exit_code == 0

    engine = create_db_engine(db_url)
    assert set(metadata().tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_an_unknown_revision_is_named_and_changes_nothing(db_url, monkeypatch) -> None:
    monkeypatch.setenv("FOREWARN_DATABASE_URL", db_url)
    result = CliRunner().invoke(app, ["db", "upgrade", "nonsense"])
    assert result.exit_code == 2, result.output
    assert "REVISION: Can't locate revision identified by 'nonsense'" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    engine = create_db_engine(db_url)
    assert migrate.current(engine) is None
    engine.dispose()


def test_a_database_from_before_migrations_is_adopted(db_url) -> None:
    engine = create_db_engine(db_url)
    # The tables forewarn made before it had migrations are the baseline's, unstamped.
    migrate.upgrade(engine, migrate.BASELINE)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    assert migrate.upgrade(engine) == migrate.head()
    engine.dispose()


def test_services_starting_together_migrate_once(db_url) -> None:
    engine = create_db_engine(db_url)
    with ThreadPoolExecutor(4) as pool:
        revisions = list(pool.map(lambda _: migrate.upgrade(engine), range(4)))
    assert revisions == [migrate.head()] * 4
    engine.dispose()


def test_a_service_refuses_an_unmigrated_database_unless_it_may_migrate(db_url, monkeypatch) -> None:
    engine = create_db_engine(db_url)
    with pytest.raises(StartupError, match="forewarn db upgrade"):
        migrate.prepare(engine, auto_migrate=False)
    migrate.prepare(engine, auto_migrate=True)
    migrate.prepare(engine, auto_migrate=False)
    engine.dispose()


def test_auto_migrate_defaults_to_sqlite_only(monkeypatch) -> None:
    from forewarn.services.platform.config import CommonSettings

    monkeypatch.delenv("FOREWARN_DB_AUTO_MIGRATE", raising=False)
    monkeypatch.setenv("FOREWARN_DATABASE_URL", "postgresql://db/forewarn")
    assert not CommonSettings().migrates_at_start
    monkeypatch.setenv("FOREWARN_DB_AUTO_MIGRATE", "1")
    assert CommonSettings().migrates_at_start
    monkeypatch.delenv("FOREWARN_DATABASE_URL")
    monkeypatch.setenv("FOREWARN_DB_AUTO_MIGRATE", "0")
    assert not CommonSettings().migrates_at_start
