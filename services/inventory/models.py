"""Inventory tables: sites, hosts, tenants with their contacts, and resources."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from ..platform.db import UtcDateTime

# Which source a row came from, so a file and a cloud can feed one store and a
# sync removes only what its own source no longer lists: "file", or
# "openstack:<cloud>" for a clouds.yaml entry.
FILE_SOURCE = "file"


def _source() -> Any:
    return Field(
        default=FILE_SOURCE, max_length=64, index=True, sa_column_kwargs={"server_default": FILE_SOURCE}
    )


class ResourceKind(StrEnum):
    """What a resource is."""

    VM = "vm"
    VOLUME = "volume"
    GPU = "gpu"
    K8S_NODE = "k8s-node"
    BAREMETAL = "baremetal"


class Site(SQLModel, table=True):
    """A datacenter, such as STO1."""

    code: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=200)
    timezone: str = Field(max_length=64)
    source: str = _source()


class Host(SQLModel, table=True):
    """A machine that can be taken down for maintenance."""

    name: str = Field(primary_key=True, max_length=253)
    site: str = Field(foreign_key="site.code", index=True, max_length=32)
    role: str = Field(index=True, max_length=64)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The OpenStack availability zone; empty where there is none.
    zone: str = Field(default="", max_length=255, sa_column_kwargs={"server_default": ""})
    source: str = _source()


class Tenant(SQLModel, table=True):
    """A customer account."""

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    timezone: str = Field(max_length=64)
    locale: str = Field(max_length=16)
    source: str = _source()


class TenantContact(SQLModel, table=True):
    """Someone a tenant wants told about maintenance."""

    __tablename__ = "tenant_contact"
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", index=True, max_length=64)
    email: str = Field(max_length=320)
    name: str = Field(default="", max_length=200)
    mode: str = Field(default="invite", max_length=16)


class Resource(SQLModel, table=True):
    """A VM, volume, GPU, k8s node or bare-metal server on one host, owned by one tenant."""

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    # One of ResourceKind from a file; a flavor's name (m1.large) from a cloud.
    kind: str = Field(max_length=64)
    # The impact query starts from hosts, so host is indexed (with tenant to
    # answer from the index alone where the planner can).
    host: str = Field(foreign_key="host.name", index=True, max_length=253)
    tenant: str = Field(foreign_key="tenant.id", index=True, max_length=64)
    source: str = _source()


class HostHold(SQLModel, table=True):
    """A host's compute service during a window: disabled by forewarn, or found disabled and left alone."""

    __tablename__ = "host_hold"

    window_id: str = Field(primary_key=True, max_length=32)
    host: str = Field(primary_key=True, max_length=253)
    # False: someone had disabled it before the window, so it stays as they left it.
    ours: bool
    reason: str = Field(max_length=255, description="Nova's disabled_reason, ours or the one found.")
    held_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    released_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))


class UnknownTenant(LookupError):
    """No tenant with that id in the inventory."""
