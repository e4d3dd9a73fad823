"""Durations as people type them: 2h, 30m, 1h30m, 3d."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator
from pytimeparse import parse


def parse_duration(text: str | int | float | timedelta) -> timedelta:
    """Read '2h', '30m', '1h30m', '3d' or a number of seconds; raise ValueError otherwise."""
    if isinstance(text, timedelta):
        return text
    if isinstance(text, int | float):
        return timedelta(seconds=text)
    cleaned = text.strip()
    if cleaned.isdigit():
        return timedelta(seconds=int(cleaned))
    seconds = parse(cleaned)
    if seconds is None:
        raise ValueError(f"{text!r} is not a duration (e.g. 2h, 30m, 1h30m, 3d)")
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise ValueError(f"{text!r} is too long to be a duration") from None


def format_duration(value: timedelta) -> str:
    """A duration the way an operator would write it."""
    total = int(value.total_seconds())
    sign, total = ("-", -total) if total < 0 else ("", total)
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")) if n]
    return sign + ("".join(parts) or "0s")


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
