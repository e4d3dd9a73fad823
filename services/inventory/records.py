"""The inventory's input records, as a file or a cloud gives them: checked on entry (no control
or invisible character reaches a mail header, a calendar or a terminal), then synced into the store."""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from forewarn.schemas.base import unsafe_character

from .models import ResourceKind

LOCALES = ("en", "sv", "nb")


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone (e.g. Europe/Stockholm)") from None
    return value


class Record(BaseModel):
    """What every record shares: no field it does not know, text stripped, no unsafe character."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*")
    @classmethod
    def _printable(cls, value: object) -> object:
        # Every text of the inventory reaches mail headers, calendars and terminals.
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and (bad := unsafe_character(text)):
                raise ValueError(f"holds the control or invisible character {bad}; remove it")
        return value


class SiteIn(Record):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Z0-9-]+$")
    name: str = Field(min_length=1, max_length=200)
    timezone: str

    _tz = field_validator("timezone")(_zone)


class HostIn(Record):
    name: str = Field(min_length=1, max_length=253, pattern=r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$")
    site: str
    role: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9-]+$")
    tags: list[str] = Field(default_factory=list)
    zone: str = Field(default="", max_length=255)


class ContactIn(Record):
    email: EmailStr
    name: str = Field(default="", max_length=200)
    mode: Literal["invite", "notice"] = "invite"


class TenantIn(Record):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=200)
    timezone: str
    locale: Literal["en", "sv", "nb"] = "en"
    contacts: list[ContactIn] = Field(default_factory=list)

    _tz = field_validator("timezone")(_zone)


class ResourceIn(Record):
    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    kind: ResourceKind
    host: str
    tenant: str
