"""Read an inventory file and upsert it in one transaction."""

from __future__ import annotations

import io
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError
from sqlalchemy import Engine, select
from sqlmodel import Session, SQLModel

from ..common.text import said
from .models import FILE_SOURCE, Host, Site, Tenant
from .records import HostIn, Record, ResourceIn, SiteIn, TenantIn
from .sync import Snapshot, sync


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an inventory file: where, in one path notation, and what."""

    path: Path
    field: str  # tenants[0].contacts[0].email; a section; or "file"
    message: str
    key: str = ""  # the record's id, name or code, to find it by

    def __str__(self) -> str:
        if self.field == "file":
            return f"{self.path}: {self.message}"
        record, _, rest = self.field.partition(".")
        if self.key:
            return f"{self.path}: {record} ({self.key}): {rest}: {self.message}"
        return f"{self.path}: {self.field}: {self.message}"


class InventoryError(Exception):
    """An inventory file that cannot be loaded; every problem is listed."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = [str(p) for p in problems]
        self.reasons = [(p.field, p.message) for p in problems]


SECTIONS: dict[str, type[Record]] = {
    "sites": SiteIn,
    "hosts": HostIn,
    "tenants": TenantIn,
    "resources": ResourceIn,
}
KEYS = {"sites": "code", "hosts": "name", "tenants": "id", "resources": "id"}


def _named(text: str, path: Path) -> io.StringIO:
    """The text as a stream bearing the file's name: YAML's errors then name it, not '<unicode string>'."""
    stream = io.StringIO(text)
    stream.name = str(path)
    return stream


def read_inventory(path: Path) -> dict[str, list]:
    """Parse and validate a YAML or JSON inventory file, naming every bad record."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InventoryError([Problem(path, "file", f"cannot read: {exc.strerror}")]) from None
    except UnicodeDecodeError as exc:
        problem = Problem(path, "file", f"not UTF-8 text (byte {exc.start}): not an inventory")
        raise InventoryError([problem]) from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(_named(text, path))
    except RecursionError:
        raise InventoryError([Problem(path, "file", "nested too deeply to be an inventory")]) from None
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        problem = Problem(path, "file", f"not valid {path.suffix.lstrip('.') or 'YAML'}: {exc}")
        raise InventoryError([problem]) from None
    if not isinstance(data, dict):
        raise InventoryError([Problem(path, "file", f"expected a mapping with {', '.join(SECTIONS)}")])
    unknown = sorted(set(data) - set(SECTIONS))
    problems = [
        Problem(path, str(name), f"unknown section {name!r} (expected {', '.join(SECTIONS)})")
        for name in unknown
    ]
    parsed: dict[str, list] = {}
    for section, model in SECTIONS.items():
        rows = data.get(section) or []
        if not isinstance(rows, list):
            problems.append(Problem(path, section, "expected a list"))
            continue
        parsed[section] = []
        for index, row in enumerate(rows):
            key = str(row.get(KEYS[section]) or "") if isinstance(row, dict) else ""
            try:
                parsed[section].append(model.model_validate(row))
            except ValidationError as exc:
                problems.extend(
                    Problem(path, f"{section}[{index}].{_field(err)}", said(err["msg"]), key)
                    for err in exc.errors()
                )
        counts = Counter(getattr(r, KEYS[section]) for r in parsed[section])
        problems.extend(
            Problem(path, section, f"{KEYS[section]} {key!r} appears {n} times")
            for key, n in counts.items()
            if n > 1
        )
    if problems:
        raise InventoryError(problems)
    return parsed


def _field(err: dict) -> str:
    """A field's place in a record, in the path notation of the whole file: contacts[0].email."""
    path = ""
    for part in err["loc"]:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path or "record"


def _check_references(path: Path, session: Session, inv: dict[str, list]) -> list[Problem]:
    """Hosts need known sites, resources known hosts and tenants: in the file or the store."""

    def known(model: type[SQLModel], key: str, fresh: list) -> set[str]:
        column = getattr(model, key)
        return {getattr(r, key) for r in fresh} | set(session.scalars(select(column)))

    problems = []
    sites = known(Site, "code", inv["sites"])
    for i, host in enumerate(inv["hosts"]):
        if host.site not in sites:
            problems.append(
                Problem(path, f"hosts[{i}].site", f"{host.site!r} is not a known site", host.name)
            )
    hosts = known(Host, "name", inv["hosts"])
    tenants = known(Tenant, "id", inv["tenants"])
    for i, res in enumerate(inv["resources"]):
        if res.host not in hosts:
            problems.append(
                Problem(path, f"resources[{i}].host", f"{res.host!r} is not a known host", res.id)
            )
        if res.tenant not in tenants:
            problems.append(
                Problem(path, f"resources[{i}].tenant", f"{res.tenant!r} is not a known tenant", res.id)
            )
    return problems


def load_inventory(*, engine: Engine, path: Path) -> dict[str, int]:
    """Validate the file, then add and update all of it in one transaction; return counts."""
    inv = read_inventory(path)

    def check(session: Session) -> None:
        if problems := _check_references(path, session, inv):
            raise InventoryError(problems)

    snapshot = Snapshot(
        sites=inv["sites"], hosts=inv["hosts"], tenants=inv["tenants"], resources=inv["resources"]
    )
    # A file may be a partial export: it adds and updates, and removes nothing.
    sync(engine, FILE_SOURCE, snapshot, removes=False, check=check)
    return {section: len(rows) for section, rows in inv.items()}
