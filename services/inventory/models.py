"""Inventory tables: sites, hosts, tenants with their contacts, and resources."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


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


class Host(SQLModel, table=True):
    """A machine that can be taken down for maintenance."""

    name: str = Field(primary_key=True, max_length=253)
    site: str = Field(foreign_key="site.code", index=True, max_length=32)
    role: str = Field(index=True, max_length=64)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Tenant(SQLModel, table=True):
    """A customer account."""

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    timezone: str = Field(max_length=64)
    locale: str = Field(max_length=16)


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
    kind: str = Field(max_length=16)
    # The impact query starts from hosts, so host is indexed (with tenant to
    # answer from the index alone where the planner can).
    host: str = Field(foreign_key="host.name", index=True, max_length=253)
    tenant: str = Field(foreign_key="tenant.id", index=True, max_length=64)


class UnknownTenant(LookupError):
    """No tenant with that id in the inventory."""
