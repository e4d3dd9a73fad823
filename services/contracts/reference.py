"""The documentation's reference pages, written from the code: the CLI, every setting, every event.

docs/hooks/reference.py adds them to the site at build time, so nobody edits
them by hand and they cannot drift from what forewarn does.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from urllib.parse import unquote

from pydantic_settings import BaseSettings

from forewarn.schemas.base import Payload

from ..common.durations import format_duration
from ..impact.settings import ImpactSettings
from ..inventory.settings import InventorySettings
from ..notifier.settings import NotifierSettings
from ..platform.config import CommonSettings
from ..replies.settings import RepliesSettings
from ..reporter.settings import ReporterSettings
from ..scheduler.settings import SchedulerSettings
from ..statuspage.settings import StatusSettings
from .export import HERE

# Every service's Settings class; the classes they build on are found through them.
SETTINGS: tuple[type[BaseSettings], ...] = (
    CommonSettings,
    SchedulerSettings,
    ImpactSettings,
    InventorySettings,
    NotifierSettings,
    ReporterSettings,
    RepliesSettings,
    StatusSettings,
)


def cli_markdown() -> str:
    """Every command and option, as Typer's own generator writes them."""
    found = subprocess.run(
        [sys.executable, "-m", "typer", "forewarn.services.cli.main", "utils", "docs", "--name", "forewarn"],
        capture_output=True,
        text=True,
        check=True,
    )
    return "# The CLI\n\n" + found.stdout.split("\n", 1)[1]


def settings_classes() -> list[type[BaseSettings]]:
    """Each Settings class once, a base before the classes built on it."""
    seen: list[type[BaseSettings]] = []
    for cls in SETTINGS:
        for base in reversed(cls.__mro__):
            wanted = isinstance(base, type) and issubclass(base, BaseSettings) and base is not BaseSettings
            if wanted and base not in seen:
                seen.append(base)
    return seen


def own_fields(cls: type[BaseSettings]) -> list[str]:
    """The settings a class adds to those of its bases."""
    inherited = {name for base in cls.__mro__[1:] for name in getattr(base, "model_fields", {})}
    return [name for name in cls.model_fields if name not in inherited]


def settings_markdown() -> str:
    """One table per Settings class: each variable, its type, its default and what it does."""
    lines = [
        "# Settings",
        "",
        "Every service reads its settings from `FOREWARN_*` environment variables. A service reads",
        "its own class's variables and those of the classes it builds on.",
    ]
    for cls in settings_classes():
        names = own_fields(cls)
        if not names:
            continue
        readers = [s.__name__ for s in SETTINGS if issubclass(s, cls)]
        lines += ["", f"## {cls.__name__}", "", _first_line(cls.__doc__), ""]
        lines += [f"Read by: {', '.join(readers)}.", ""]
        lines += ["| Variable | Type | Default | What it does |", "| --- | --- | --- | --- |"]
        prefix = cls.model_config.get("env_prefix", "")
        for name in names:
            field = cls.model_fields[name]
            # A default worked out where forewarn runs is told in words, not as this machine's value.
            default = "*see right*" if field.default_factory else _default(field.get_default())
            kind = _type(field.annotation)
            about = (field.description or "").replace("|", "\\|").replace("\n", " ")
            lines.append(f"| `{(prefix + name).upper()}` | {kind} | {default} | {about} |")
    return "\n".join(lines) + "\n"


def events_markdown() -> str:
    """Each subject, who publishes or reads it, and its payload's JSON Schema (from schemas/asyncapi.json)."""
    spec = json.loads((HERE / "asyncapi.json").read_text())
    lines = [
        "# Events",
        "",
        "The subjects forewarn's services publish and read, from its AsyncAPI document",
        "(`schemas/asyncapi.json`). Events are past tense; commands are imperative.",
        "",
        "| Subject | Direction | Payload |",
        "| --- | --- | --- |",
    ]
    for _, operation in sorted(spec["operations"].items()):
        channel = spec["channels"][_name(operation["channel"])]
        verb = "received" if operation["action"] == "receive" else "sent"
        payloads = sorted({_payload(spec, m) for m in channel["messages"].values()})
        shown = ", ".join(f"[{p}](#{p.lower()})" for p in payloads)
        lines.append(f"| `{channel['address']}` | {verb} | {shown} |")
    for name, schema in sorted(spec["components"]["schemas"].items()):
        lines += ["", f"## {name}", "", _first_line(schema.get("description", "")), ""]
        lines += ["```json", json.dumps(schema, indent=2, sort_keys=True), "```"]
    return "\n".join(lines) + "\n"


def _name(ref: dict) -> str:
    """The last part of a JSON reference, as the document spells its key."""
    return unquote(ref["$ref"].rsplit("/", 1)[1])


def _payload(spec: dict, message: dict) -> str:
    return _name(spec["components"]["messages"][_name(message)]["payload"])


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().split("\n\n", 1)[0].replace("\n", " ")


def _default(value: Any) -> str:
    if value is None or value == "":
        return "*unset*"
    if isinstance(value, timedelta):
        return f"`{format_duration(value)}`"
    if isinstance(value, Payload):
        return f"`{value.model_dump_json()}`"
    shown = getattr(value, "get_secret_value", None)
    if shown is not None:
        return "*secret*"
    return f"`{value}`".replace("|", "\\|")


def _type(annotation: Any) -> str:
    """'int', 'path', '`text` or `json`': what a person types, not Python's spelling."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        return " or ".join(f"`{a}`" for a in args)
    if origin is Annotated:
        return _type(args[0])
    if origin in (Union, UnionType):
        return " or ".join(_type(a) for a in args if a is not type(None))
    return {"SecretStr": "secret", "Path": "path", "ByteSize": "size"}.get(
        getattr(annotation, "__name__", ""), getattr(annotation, "__name__", str(annotation))
    )
