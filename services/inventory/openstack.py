"""The inventory as an OpenStack cloud holds it: Nova's compute hosts and servers, Keystone's projects.

Mapping is a plain function of what the APIs said (cloud.py asks them), so
the conventions can be read and tested in one place:

- host: a `nova-compute` service's host; site: an aggregate's `forewarn:site`
  metadata, else the host's availability zone; role: an aggregate's
  `forewarn:role`, else `compute`; tags: the names of its aggregates;
- resource: a server on its compute host, its flavor's name as its kind;
- tenant: a project; its `forewarn:locale=sv` and `forewarn:mode=notice`
  tags, or `forewarn_locale`, `forewarn_mode` and `forewarn_timezone`
  properties (a Keystone tag cannot hold the "/" of Europe/Stockholm), else
  the defaults;
- contacts: the users holding the contact role in the project, with their email.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from pydantic import Field, ValidationError

from ..common.text import plural
from .records import LOCALES, ContactIn, HostIn, ResourceIn, SiteIn, TenantIn
from .sync import Snapshot

TAG = "forewarn:"
PROPERTY = "forewarn_"
DEFAULT_ROLE = "compute"


class ServerIn(ResourceIn):
    """A server: its kind is its flavor's name, whatever the cloud calls its flavors."""

    kind: str = Field(min_length=1, max_length=64)  # type: ignore[assignment]


@dataclass
class CloudData:
    """What the APIs said, as plain data: everything the mapping reads."""

    services: list[dict[str, object]] = field(default_factory=list)  # host, zone
    aggregates: list[dict] = field(default_factory=list)  # name, hosts, metadata
    servers: list[dict] = field(default_factory=list)  # id, name, flavor, host, project_id
    projects: list[dict] = field(default_factory=list)  # id, name, tags, properties
    users: dict[str, dict] = field(default_factory=dict)  # id: name, email
    contacts: list[tuple[str, str]] = field(default_factory=list)  # (user id, project id) holding the role
    notes: list[str] = field(default_factory=list)  # what reading found amiss, for the operator


@dataclass(frozen=True)
class Conventions:
    """How a cloud's names become forewarn's: the settings an operator chooses."""

    contact_role: str = "maintenance-contact"
    timezone: str = "UTC"  # for a site or project that names none
    locale: str = "en"


def source_of(cloud: str) -> str:
    """The source name of a clouds.yaml entry's rows."""
    return f"openstack:{cloud}"


def _settings(project: dict) -> dict[str, str]:
    """A project's forewarn:key=value tags and forewarn_key properties as {key: value}."""
    found = {}
    for tag in project.get("tags") or []:
        if tag.startswith(TAG) and "=" in tag:
            key, _, value = tag[len(TAG) :].partition("=")
            found[key] = value
    for name, value in (project.get("properties") or {}).items():
        if name.startswith(PROPERTY):
            found[name[len(PROPERTY) :]] = value
    return found


def _site_code(zone: str) -> str:
    """An availability zone's name as a site code: STO1 from sto1, 'az-1' as AZ-1."""
    return re.sub(r"[^A-Z0-9-]", "-", zone.upper())[:32]


def map_cloud(data: CloudData, conventions: Conventions | None = None) -> Snapshot:
    """The inventory a cloud's answers describe; what cannot be taken is a warning, never silence."""
    conventions = conventions or Conventions()
    snapshot = Snapshot(warnings=list(data.notes))
    snapshot.sites, snapshot.hosts = _hosts(data, conventions, snapshot.warnings)
    snapshot.tenants = _tenants(data, conventions, snapshot)
    snapshot.resources = _servers(data, snapshot)
    tenants = {t.id: t for t in snapshot.tenants}
    silent = sorted(
        tenants[t].name for t in {r.tenant for r in snapshot.resources} if not tenants[t].contacts
    )
    if silent:
        snapshot.warnings.append(
            f"{plural(len(silent), 'projects')} with servers and no user holding "
            f"{conventions.contact_role}, so nobody to tell: {', '.join(silent)}"
        )
    return snapshot


def _hosts(
    data: CloudData, conventions: Conventions, warnings: list[str]
) -> tuple[list[SiteIn], list[HostIn]]:
    """Compute hosts, with their site, role and tags from the aggregates they are in."""
    of_host: dict[str, list[dict]] = defaultdict(list)
    for aggregate in sorted(data.aggregates, key=lambda a: a["name"]):
        for host in aggregate.get("hosts") or []:
            of_host[host].append(aggregate)
    sites: dict[str, SiteIn] = {}
    hosts = []
    for service in sorted(data.services, key=lambda s: s["host"]):
        aggregates = of_host.get(service["host"], [])
        meta: dict[str, str] = {}
        for aggregate in aggregates:
            meta |= {
                k[len(TAG) :]: v for k, v in (aggregate.get("metadata") or {}).items() if k.startswith(TAG)
            }
        zone = service.get("zone") or "nova"
        code = _site_code(meta.get("site") or zone)
        try:
            if code not in sites:
                timezone = meta.get("timezone") or conventions.timezone
                sites[code] = SiteIn(code=code, name=meta.get("site-name") or zone, timezone=timezone)
            hosts.append(
                HostIn(
                    name=service["host"].lower(),
                    site=code,
                    role=meta.get("role") or DEFAULT_ROLE,
                    tags=[a["name"] for a in aggregates],
                    zone=zone,
                )
            )
        except ValidationError as exc:
            warnings.append(f"compute host {service['host']!r} skipped: {_reason(exc)}")
    return list(sites.values()), hosts


def _contacts(data: CloudData, conventions: Conventions, warnings: list[str]) -> dict[str, list[ContactIn]]:
    """Each project's contacts: the users holding the contact role there, with an email."""
    projects = {p["id"]: p for p in data.projects}
    found: dict[str, list[ContactIn]] = defaultdict(list)
    for user_id, project_id in sorted(data.contacts):
        user, project = data.users.get(user_id), projects.get(project_id)
        if user is None or project is None:
            continue
        who = f"user {user.get('name') or user_id!r} in project {project['name']!r}"
        if not user.get("email"):
            warnings.append(f"{who} holds {conventions.contact_role} but has no email: not a contact")
            continue
        mode = _settings(project).get("mode", "invite")
        try:
            found[project_id].append(ContactIn(email=user["email"], name=user.get("name") or "", mode=mode))
        except ValidationError as exc:
            warnings.append(f"{who} is not a contact: {_reason(exc)}")
    return found


def _tenants(data: CloudData, conventions: Conventions, snapshot: Snapshot) -> list[TenantIn]:
    """Projects, each in its tags' language and zone, else its first server's site's zone."""
    contacts = _contacts(data, conventions, snapshot.warnings)
    zone_of_host = {h.name: s.timezone for s in snapshot.sites for h in snapshot.hosts if h.site == s.code}
    zone_of_project: dict[str, str] = {}
    for server in sorted(data.servers, key=lambda s: s["id"]):
        host = (server.get("host") or "").lower()
        if host in zone_of_host:
            zone_of_project.setdefault(server.get("project_id") or "", zone_of_host[host])
    tenants = []
    for project in sorted(data.projects, key=lambda p: p["id"]):
        tags = _settings(project)
        locale = tags.get("locale", conventions.locale)
        if locale not in LOCALES:
            snapshot.warnings.append(
                f"project {project['name']!r}: locale {locale!r} is not one of {', '.join(LOCALES)}, "
                f"so {conventions.locale}"
            )
            locale = conventions.locale
        timezone = tags.get("timezone") or zone_of_project.get(project["id"]) or conventions.timezone
        try:
            tenants.append(
                TenantIn(
                    id=project["id"],
                    name=project["name"],
                    timezone=timezone,
                    locale=locale,
                    contacts=contacts.get(project["id"], []),
                )
            )
        except ValidationError as exc:
            snapshot.warnings.append(f"project {project['name']!r} skipped, and its servers: {_reason(exc)}")
    return tenants


def _servers(data: CloudData, snapshot: Snapshot) -> list[ResourceIn]:
    """Servers on a compute host and of a project that the snapshot holds."""
    hosts = {h.name for h in snapshot.hosts}
    tenants = {t.id for t in snapshot.tenants}
    resources: list[ResourceIn] = []
    for server in sorted(data.servers, key=lambda s: s["id"]):
        host = (server.get("host") or "").lower()
        if not host:
            continue  # on no host (never scheduled, or shelved): no maintenance touches it
        if host not in hosts or server.get("project_id") not in tenants:
            snapshot.warnings.append(f"server {server['id']} skipped: its host or project was skipped")
            continue
        try:
            resources.append(
                ServerIn(
                    id=server["id"],
                    name=server.get("name") or server["id"],
                    kind=server.get("flavor") or "vm",
                    host=host,
                    tenant=server["project_id"],
                )
            )
        except ValidationError as exc:
            snapshot.warnings.append(f"server {server['id']} skipped: {_reason(exc)}")
    return resources


def _reason(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors(include_url=False)
    )
