"""The engine connects with the URL's own password, not the masked one SQLAlchemy prints."""

from forewarn.services.platform.db import create_db_engine


def test_a_postgresql_url_keeps_its_password_and_takes_psycopg() -> None:
    engine = create_db_engine("postgresql://forewarn:s3cr%40t@db.example.net:5432/forewarn")
    assert engine.url.drivername == "postgresql+psycopg"
    assert engine.url.password == "s3cr@t"
    engine.dispose()


def test_db_upgrade_wait_names_a_bad_duration_and_tries_nothing(monkeypatch) -> None:
    from typer.testing import CliRunner

    from forewarn.services.cli.main import app

    monkeypatch.setenv("FOREWARN_DATABASE_URL", "postgresql://forewarn@127.0.0.1:1/forewarn")
    result = CliRunner().invoke(app, ["db", "upgrade", "--wait", "1x"])
    assert result.exit_code == 2, result.output
    assert "--wait: '1x' is not a duration" in result.output
    assert "Traceback" not in result.output


def test_db_upgrade_waits_for_a_database_then_says_it_cannot_reach_it(monkeypatch) -> None:
    import time

    from typer.testing import CliRunner

    from forewarn.services.cli.main import app

    from ..integration.smtp import free_port

    monkeypatch.setenv("FOREWARN_DATABASE_URL", f"postgresql://forewarn@127.0.0.1:{free_port()}/forewarn")
    began = time.monotonic()
    result = CliRunner().invoke(app, ["db", "upgrade", "--wait", "2s"])
    assert result.exit_code == 1, result.output
    assert "cannot reach the database" in result.output
    # One refusal takes milliseconds; the back-off before giving up, at least 0.7 s of the 2.
    assert time.monotonic() - began >= 0.5
