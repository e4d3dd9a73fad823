"""Alembic migrations for forewarn's store; run them with `forewarn db upgrade`."""
