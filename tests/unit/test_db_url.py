"""The engine connects with the URL's own password, not the masked one SQLAlchemy prints."""

from forewarn.services.platform.db import create_db_engine


def test_a_postgresql_url_keeps_its_password_and_takes_psycopg() -> None:
    engine = create_db_engine("postgresql://forewarn:s3cr%40t@db.example.net:5432/forewarn")
    assert engine.url.drivername == "postgresql+psycopg"
    assert engine.url.password == "s3cr@t"
    engine.dispose()
