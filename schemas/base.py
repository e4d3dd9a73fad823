"""Shared base for every payload on the bus."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class Payload(BaseModel):
    """A message on the bus: strict, immutable and versioned.

    Each message that travels on its own (catalog.ALL) names its type in a `type`
    field, its class name, so a body made as one type never validates as another,
    whatever subject it is found on. A message stored by an earlier release has no
    `type` and is read as the type its subject carries.
    """

    # Unknown fields are an error, not silently dropped: a producer on a newer
    # contract must bump schema_version, and a typo must not lose data.
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = Field(
        default=SCHEMA_VERSION,
        description="Version of this payload's contract; consumers reject others.",
    )


class Impact(StrEnum):
    """How the customer's resources are affected, in MAINT-NOTE terms."""

    OUTAGE = "OUTAGE"
    DEGRADED = "DEGRADED"
    REDUCED_REDUNDANCY = "REDUCED-REDUNDANCY"
    NO_IMPACT = "NO-IMPACT"

    @classmethod
    def parse(cls, text: str) -> Impact:
        """Read `outage`, `reduced-redundancy`, `REDUCED_REDUNDANCY`... alike."""
        return cls(text.strip().upper().replace("_", "-"))

    @property
    def plain(self) -> str:
        """The level in plain words, for people."""
        return {
            Impact.OUTAGE: "the resources are unavailable",
            Impact.DEGRADED: "the resources stay up with reduced performance",
            Impact.REDUCED_REDUNDANCY: "the resources stay up with reduced redundancy",
            Impact.NO_IMPACT: "no impact is expected",
        }[self]


class WindowState(StrEnum):
    """Where a window is in its life."""

    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def live(self) -> bool:
        """A live window still holds its hosts."""
        return self in (WindowState.SCHEDULED, WindowState.IN_PROGRESS)


def as_utc(value: datetime) -> datetime:
    """Normalise an aware time to UTC; the bus speaks UTC only."""
    return value.astimezone(UTC)


# Naive times are refused (AwareDatetime); aware ones are stored in UTC.
UtcTime = Annotated[AwareDatetime, AfterValidator(as_utc)]


# A window id goes into subjects and ledger keys: one NATS token, never a
# wildcard, so a forged `*` or `>` cannot address every window's timers.
WINDOW_ID_PATTERN = r"^mw-[a-z0-9]+$"
WindowRef = Annotated[str, Field(min_length=4, max_length=32, pattern=WINDOW_ID_PATTERN)]


# Characters no text forewarn takes in may hold. Controls end header lines and
# calendar properties, and drive terminals. Bidirectional embeddings, overrides
# and isolates, and invisible zero-width characters, make one text display as
# another (a spoofed sender name, a reversed host name). Both are refused where
# data enters; the joiners U+200C and U+200D stay allowed, since some scripts
# and emoji need them. Line breaks and tabs are allowed in multi-line text only.
_UNSAFE = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 and C1 controls, DEL; \t and \n are decided below
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidirectional marks and controls
    "\u200b\u2060-\u2064\ufeff\u180e"  # zero-width and invisible characters
    "\u2028\u2029\ud800-\udfff\ufffe\uffff"  # separators, lone surrogates, non-characters
)
_UNSAFE_IN_LINE = re.compile(f"[{_UNSAFE}\t\n]")
_UNSAFE_IN_TEXT = re.compile(f"[{_UNSAFE}]")


def unsafe_character(value: str, *, multiline: bool = False) -> str | None:
    """The first character text may not hold, as U+XXXX, or None."""
    found = (_UNSAFE_IN_TEXT if multiline else _UNSAFE_IN_LINE).search(value)
    return f"U+{ord(found.group()):04X}" if found else None


def _line(value: str) -> str:
    if bad := unsafe_character(value):
        raise ValueError(f"holds the control or invisible character {bad}; remove it")
    return value


def _text(value: str) -> str:
    if bad := unsafe_character(value, multiline=True):
        raise ValueError(f"holds the control or invisible character {bad}; remove it")
    return value


# One line of text (a title, a name, an id) and free text that may span lines.
Line = Annotated[str, AfterValidator(_line)]
Text = Annotated[str, AfterValidator(_text)]


def printable(value: str, *, multiline: bool = False) -> str:
    """Text fit to leave forewarn: each character Line or Text would refuse becomes U+FFFD.

    Input is checked where it enters; this is for every way out (headers,
    calendars, feeds, terminals), so text stored before a rule, or a bug
    upstream, still cannot break a mail or a line. Line breaks become LF.
    """
    if multiline:
        value = value.replace("\r\n", "\n")
    pattern = _UNSAFE_IN_TEXT if multiline else _UNSAFE_IN_LINE
    return pattern.sub("\ufffd", value)
