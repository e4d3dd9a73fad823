"""Turn a booking's host selectors into inventory hosts, or say what did not match."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace

from ClusterShell.NodeSet import NodeSet, NodeSetException
from sqlalchemy import func, select
from sqlmodel import Session

from forewarn.schemas.commands import HostSelector
from forewarn.schemas.windows import Reason

from ..common.hostnames import fold
from ..inventory.models import Host, Site
from ..platform.db import in_chunks

MAX_HOSTS = 100_000


@dataclass(frozen=True, slots=True)
class SelectedHost:
    name: str
    site: str
    role: str
    site_name: str = ""  # "Stockholm 1, Kista", as customers know the site


_DIGITS = re.compile(r"\D")
_GROUP = re.compile(r"\[([^\]]*)\]")
_TOP_COMMA = re.compile(r",(?![^\[]*\])")


def _spanned(nodeset: str) -> int:
    """How many names a node set spells out, counted from its brackets without building them."""
    total = 0
    for pattern in _TOP_COMMA.split(nodeset):
        names = 1
        for group in _GROUP.findall(pattern):
            names *= sum(_count(item) for item in group.split(","))
        total += names
    return total


def _count(item: str) -> int:
    low, _, high = item.partition("-")
    if high.isdigit() and low.isdigit():
        return max(int(high) - int(low) + 1, 0)
    return 1


def _near(session: Session, unknown: list[str], most: int = 3) -> list[str]:
    """Known hosts whose names are close to a few mistyped ones; none for a whole range of unknowns."""
    if len(unknown) > most:
        return []
    known = list(session.scalars(select(Host.name)))
    near = set()
    for name in unknown:
        # A slip in the letters (sto1-cpm-01), not another number: sto1-cmp-17 is no sto1-cmp-16.
        digits = _DIGITS.sub("", name)
        near |= {
            match
            for match in difflib.get_close_matches(name.lower(), known, n=3, cutoff=0.8)
            if _DIGITS.sub("", match) == digits
        }
    return sorted(near)


def select_hosts(session: Session, selector: HostSelector) -> tuple[list[SelectedHost], list[Reason]]:
    """Hosts matching every selector given, sorted by name, and the reasons none may."""
    reasons: list[Reason] = []
    rows = None
    if selector.nodeset:
        if (spanned := _spanned(selector.nodeset)) > MAX_HOSTS:
            # Checked before parsing: NodeSet would build every name of x[1-100000000000].
            return [], [
                Reason(field="hosts.nodeset", message=f"ranges of {spanned} hosts: more than {MAX_HOSTS}")
            ]
        try:
            nodes = NodeSet(selector.nodeset)
        except (NodeSetException, AssertionError) as exc:  # ClusterShell asserts some limits
            return [], [Reason(field="hosts.nodeset", message=f"cannot parse {selector.nodeset!r}: {exc}")]
        if len(nodes) > MAX_HOSTS:
            return [], [Reason(field="hosts.nodeset", message=f"{len(nodes)} hosts is more than {MAX_HOSTS}")]
        names = list(nodes)
        columns = (Host.name, Host.site, Host.role, Host.tags, Host.zone)
        rows = []
        for chunk in in_chunks(names):
            rows.extend(session.execute(select(*columns).where(Host.name.in_(chunk))))
        # Host names are DNS names: STO1-CMP-01 is sto1-cmp-01. Asked only for the names the
        # index did not find as typed, so a booking in the inventory's own case stays a lookup.
        missed = {name.lower(): name for name in set(names) - {row.name for row in rows}}
        for chunk in in_chunks(list(missed)):
            rows.extend(session.execute(select(*columns).where(func.lower(Host.name).in_(chunk))))
        rows = list({row.name: row for row in rows}.values())  # STO1-CMP-01 and sto1-cmp-01 are one
        found = {row.name.lower() for row in rows}
        unknown = sorted(name for lowered, name in missed.items() if lowered not in found)
        if unknown:
            message = f"{len(unknown)} host(s) not in the inventory: {fold(unknown)}"
            if near := _near(session, unknown):
                message += f"; did you mean {' or '.join(near)}?"
            reasons.append(Reason(field="hosts.nodeset", message=message))
    if selector.sites:
        known = set(session.scalars(select(Site.code)))
        missing = sorted(set(selector.sites) - known)
        if missing:
            reasons.append(
                Reason(
                    field="hosts.sites",
                    message=f"unknown site(s) {', '.join(missing)}; "
                    f"known: {', '.join(sorted(known)) or 'none'}",
                )
            )
    if rows is None:
        query = select(Host.name, Host.site, Host.role, Host.tags, Host.zone)
        if selector.sites:
            query = query.where(Host.site.in_(selector.sites))
        if selector.roles:
            query = query.where(Host.role.in_(selector.roles))
        if selector.zones:
            query = query.where(Host.zone.in_(selector.zones))
        rows = list(session.execute(query))
    hosts = [
        SelectedHost(row.name, row.site, row.role)
        for row in rows
        if (not selector.sites or row.site in selector.sites)
        and (not selector.roles or row.role in selector.roles)
        and all(tag in (row.tags or []) for tag in selector.tags)
        and (not selector.zones or row.zone in selector.zones)
    ]
    if selector.roles:
        known_roles = set(session.scalars(select(Host.role).distinct()))
        missing = sorted(set(selector.roles) - known_roles)
        if missing:
            reasons.append(
                Reason(
                    field="hosts.roles",
                    message=f"unknown role(s) {', '.join(missing)}; known: {', '.join(sorted(known_roles))}",
                )
            )
    if selector.tags and not any(all(t in (r.tags or []) for t in selector.tags) for r in rows):
        reasons.append(
            Reason(field="hosts.tags", message=f"no host carries tag(s) {', '.join(selector.tags)}")
        )
    if selector.zones:
        known_zones = set(session.scalars(select(Host.zone).distinct())) - {""}
        if missing := sorted(set(selector.zones) - known_zones):
            reasons.append(
                Reason(
                    field="hosts.zones",
                    message=f"unknown availability zone(s) {', '.join(missing)}; "
                    f"known: {', '.join(sorted(known_zones)) or 'none'}",
                )
            )
    if not hosts and not reasons:
        reasons.append(Reason(field="hosts", message="the selectors together match no host"))
    if reasons:
        return [], reasons
    codes = sorted({h.site for h in hosts})
    sites = {
        code: name for code, name in session.execute(select(Site.code, Site.name).where(Site.code.in_(codes)))
    }
    return sorted((replace(h, site_name=sites.get(h.site, "")) for h in hosts), key=lambda h: h.name), []
