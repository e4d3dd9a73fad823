"""Asking a live OpenStack cloud for its inventory, with the credentials every OpenStack tool takes.

The cloud is a clouds.yaml entry (or the OS_* variables when no name is
given). Reading needs a reader role on every project; nothing here writes.
"""

from __future__ import annotations

import os
from typing import Any

import keystoneauth1.exceptions as ksa
from openstack import exceptions as sdk
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from .openstack import CloudData, Conventions, map_cloud, source_of
from .sync import SyncResult, sync

API_TIMEOUT_S = 60


class CloudError(Exception):
    """A cloud that cannot be read: one line saying which and why, for the operator.

    `code` is 2 for what the command line or clouds.yaml names wrongly, 1 for a
    cloud that is down or refuses.
    """

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def cloud_name(cloud: str | None) -> str:
    """How a cloud is named in the store's sources: its clouds.yaml entry, OS_CLOUD's, or "env"."""
    return cloud or os.environ.get("OS_CLOUD") or "env"


def connect(cloud: str | None) -> Any:
    """A connection to the clouds.yaml entry (or OS_* variables), checked by asking Keystone for a token."""
    import openstack

    name = cloud or "the OS_* variables"
    try:
        # A bounded wait on every call: a cloud that stops answering must not hold a handler forever.
        conn = (
            openstack.connect(cloud=cloud, api_timeout=API_TIMEOUT_S)
            if cloud
            else openstack.connect(api_timeout=API_TIMEOUT_S)
        )
        conn.authorize()
    except sdk.ConfigException as exc:
        raise CloudError(f"cloud {name}: {exc}", code=2) from None
    except (ksa.ClientException, sdk.SDKException) as exc:
        raise CloudError(f"cloud {name}: {_why(exc)}") from None
    return conn


def _why(exc: Exception) -> str:
    """What went wrong with Keystone, in words; the SDK wraps keystoneauth's errors in its own."""
    cause = exc.__context__ if isinstance(exc.__context__, ksa.ClientException) else exc
    if isinstance(cause, ksa.Unauthorized):
        return "Keystone refused the credentials (wrong user, password or project?)"
    if isinstance(cause, (ksa.ConnectFailure, ksa.ConnectTimeout, ksa.DiscoveryFailure)):
        return f"cannot reach Keystone ({type(cause).__name__})"
    return f"{type(cause).__name__}: {cause}"


def read_cloud(conn: Any, conventions: Conventions) -> CloudData:
    """Ask Nova and Keystone for everything map_cloud reads; needs a reader role on every project."""
    data = CloudData()
    data.services = [
        {"host": s.host, "zone": s.availability_zone} for s in conn.compute.services(binary="nova-compute")
    ]
    data.aggregates = [
        {
            "name": a.name,
            "hosts": list(a.hosts or []),
            "metadata": dict(a.metadata or {}),
        }
        for a in conn.compute.aggregates()
    ]
    data.servers = [
        {
            "id": s.id,
            "name": s.name,
            "flavor": _flavor_name(s.flavor),
            "host": s.compute_host,
            "project_id": s.project_id,
        }
        for s in conn.compute.servers(details=True, all_projects=True)
    ]
    data.projects = [
        {"id": p.id, "name": p.name, "tags": list(p.tags or []), "properties": _properties(p)}
        for p in conn.identity.projects()
        if not p.is_domain
    ]
    data.users = {u.id: {"name": u.name, "email": u.email} for u in conn.identity.users()}
    role = conn.identity.find_role(conventions.contact_role)
    if role is None:
        data.notes.append(f"Keystone has no role {conventions.contact_role!r}: no project has a contact")
    else:
        for assignment in conn.identity.role_assignments(role_id=role.id):
            project = (assignment.scope or {}).get("project", {}).get("id")
            user = (assignment.user or {}).get("id")
            if project and user:
                data.contacts.append((user, project))
    return data


def _flavor_name(flavor: Any) -> str | None:
    """The flavor's name: embedded in the server since compute 2.47, an id before."""
    if flavor is None:
        return None
    name = getattr(flavor, "original_name", None) or getattr(flavor, "name", None)
    if name is None and isinstance(flavor, dict):
        name = flavor.get("original_name") or flavor.get("name")
    return name


def sync_cloud(
    engine: Engine, cloud: str | None, conventions: Conventions, *, dry_run: bool = False
) -> SyncResult:
    """Read one cloud and make its rows in the store what it says; the store is untouched on any error."""
    name = cloud_name(cloud)
    conn = connect(cloud)
    try:
        data = read_cloud(conn, conventions)
    except (ksa.ClientException, sdk.SDKException) as exc:
        # A reader role on every project is needed: a 403 here says which call lacked it.
        raise CloudError(f"cloud {name}: reading failed: {_why(exc)}") from None
    finally:
        conn.close()
    try:
        return sync(engine, source_of(name), map_cloud(data, conventions), dry_run=dry_run)
    except IntegrityError:
        raise CloudError(
            f"cloud {name}: a host it no longer lists still carries another source's resources; "
            "nothing was changed (move or remove those first)"
        ) from None


def _properties(project: Any) -> dict[str, str]:
    """A project's own forewarn_* properties (Keystone keeps them beside its fields)."""
    found = project.to_dict(computed=False)
    return {k: str(v) for k, v in found.items() if k.startswith("forewarn_") and v is not None}
