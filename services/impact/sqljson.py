"""JSON built by the database, in SQLite's and PostgreSQL's spellings.

The impact of a large window is mostly JSON: a hundred thousand resources
grouped by tenant. Built in SQL, it comes back as one string per tenant
instead of a row per resource for Python to group and encode.
"""

from __future__ import annotations

import json

from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    Select,
    String,
    Text,
    cast,
    column,
    func,
    literal,
    literal_column,
    select,
)


class SqlJson:
    """The JSON functions of one connection's dialect."""

    def __init__(self, conn: Connection) -> None:
        self.postgres = conn.dialect.name == "postgresql"

    def object(self, **fields: ColumnElement | str | int) -> ColumnElement:
        """A JSON object of these keys; values are columns, or constants written into the statement."""
        args: list[ColumnElement] = []
        for key, value in fields.items():
            args += [literal_column(f"'{key}'"), _sql(value)]
        return (func.json_build_object if self.postgres else func.json_object)(*args)

    def array_of(self, element: ColumnElement) -> ColumnElement:
        """The JSON array of element over a group's rows; over none, PostgreSQL's is NULL."""
        return func.json_agg(element) if self.postgres else func.json_group_array(element)

    def empty_array(self) -> ColumnElement:
        return func.json_build_array() if self.postgres else func.json_array()

    @staticmethod
    def text(value: ColumnElement) -> ColumnElement:
        """A JSON value as its text, which PostgreSQL's driver would otherwise decode."""
        return cast(value, Text)

    def names(self, names: list[str]) -> Select:
        """A one-column query of these names, sent as one JSON parameter however many there are."""
        given = literal(json.dumps(names), Text)
        if self.postgres:
            return select(func.json_array_elements_text(cast(given, JSON)))
        return select(column("value")).select_from(func.json_each(given))


def _sql(value: ColumnElement | str | int) -> ColumnElement:
    if isinstance(value, int):
        return literal_column(str(value))
    if isinstance(value, str):
        # Typed, so PostgreSQL's json_build_object knows what the parameter is.
        return cast(value, String)
    return value
