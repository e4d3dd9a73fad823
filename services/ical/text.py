"""iCalendar text as RFC 5545 writes it: TEXT values and parameters escaped, content lines
serialized (and folded only where they must be), and forewarn's empty VCALENDAR."""

from __future__ import annotations

import re

from icalendar import Calendar, Component, vText

from forewarn.schemas.base import printable

PRODID = "-//forewarn//maintenance notices//EN"
# The longest content line icalendar's folding (75 octets, with the fold) leaves whole.
_UNFOLDED = 74
_NAME_END = re.compile(r"[;:]")


def new_calendar(method: str | None = None, *, name: str | None = None) -> Calendar:
    """An empty VCALENDAR with forewarn's PRODID."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", text(name))
    return calendar


class _Text(vText):
    """vText, escaped exactly as RFC 5545 (3.3.11) says.

    The library first reads a typed backslash-N as a line break, so a title
    holding those two characters would come out on two lines.
    """

    def to_ical(self) -> bytes:
        escaped = self.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
        return escaped.encode()


def text(value: str, *, multiline: bool = False) -> vText:
    """A TEXT value, escaped, with nothing a property may not hold."""
    return _Text(printable(value, multiline=multiline))


def param_text(value: str) -> str:
    """Text fit for a property parameter such as CN.

    RFC 5545 allows no control characters and no double quote in a parameter
    value: one there makes clients drop the whole property (the attendee). A
    backslash is no escape there, but parsers read it as one, so that a name
    ending in one swallows the next parameter: it becomes a slash.
    """
    kept = printable(value.replace('"', "'").replace("\\", "/")).replace("\ufffd", " ")
    return " ".join(kept.split())


def serialize(component: Component) -> bytes:
    """component.to_ical(), byte for byte, faster.

    icalendar folds every content line by walking it a character at a time,
    which was a quarter of composing a notice; a line of at most 74 ASCII
    characters comes out of that folding unchanged, so it is written as it
    is, and only a longer one is folded by the library.
    """
    return b"".join(serialized_line(line) for line in component.content_lines() if line)


def line_name(line: str) -> str:
    """A content line's property name: what comes before its parameters or value."""
    return _NAME_END.split(line, maxsplit=1)[0].upper()


def serialized_line(line: str) -> bytes:
    return (line.encode() if len(line) <= _UNFOLDED and line.isascii() else line.to_ical()) + b"\r\n"
