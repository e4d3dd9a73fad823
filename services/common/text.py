"""Words for people: counts with the right noun, and validation messages without pydantic's labels."""

from __future__ import annotations


def plural(n: int, things: str) -> str:
    """'1 site', '3 sites': `things` is the plural."""
    return f"{n} {things[:-1] if n == 1 and things.endswith('s') else things}"


def said(message: str) -> str:
    """A validation message as a person reads it: without pydantic's 'Value error, '."""
    return message.removeprefix("Value error, ")
