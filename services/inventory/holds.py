"""Keeping new servers off hosts under maintenance: Nova's compute services disabled for a window.

When a window starts, each of its OpenStack hosts' `nova-compute` service is
disabled with a reason naming the window, so Nova's scheduler places nothing
new there. When it ends, forewarn enables again what it disabled, unless
another window still holds the host. A service someone had disabled before
is left exactly as it was. Each host is recorded as soon as it is done, so a
redelivery after a crash carries on where it stopped.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select, update
from sqlmodel import Session

from forewarn.schemas.base import utcnow
from forewarn.schemas.windows import WindowView

from ..platform.db import transaction
from .models import Host, HostHold

BINARY = "nova-compute"
REASON_PREFIX = "forewarn "
NOVA_REASON_MAX = 255


def reason_for(window: WindowView) -> str:
    """`forewarn mw-…: <title>`, cut to what Nova keeps."""
    text = f"{REASON_PREFIX}{window.id}: {window.title}"
    return text if len(text) <= NOVA_REASON_MAX else text[: NOVA_REASON_MAX - 1] + "…"


def clouds_of(engine: Engine, hosts: list[str]) -> dict[str, list[str]]:
    """The window's hosts that came from an OpenStack cloud, by clouds.yaml entry."""
    found: dict[str, list[str]] = {}
    with Session(engine) as session:
        for name, source in session.execute(select(Host.name, Host.source).where(Host.name.in_(hosts))):
            if source.startswith("openstack:"):
                found.setdefault(source.removeprefix("openstack:"), []).append(name)
    return found


def _service(conn: Any, host: str) -> Any | None:
    return next(iter(conn.compute.services(binary=BINARY, host=host)), None)


def _ours(service: Any) -> bool:
    return (service.disabled_reason or "").startswith(REASON_PREFIX)


def hold(conn: Any, engine: Engine, window: WindowView, hosts: list[str]) -> list[HostHold]:
    """Disable each host's compute service for the window, or note that it was disabled already.

    No database transaction stays open across a call to Nova: each host's record
    is written on its own, once Nova has answered.
    """
    reason = reason_for(window)
    done = []
    for host in hosts:
        with Session(engine, expire_on_commit=False) as session:
            held = session.get(HostHold, (window.id, host))
        if held is not None:
            done.append(held)
            continue
        service = _service(conn, host)
        if service is None:
            continue  # no compute service on that host any more: nothing to keep off it
        if service.status == "disabled" and not _ours(service):
            held = HostHold(
                window_id=window.id,
                host=host,
                ours=False,
                reason=service.disabled_reason or "",
                held_at=utcnow(),
            )
        else:
            if service.status != "disabled" or service.disabled_reason != reason:
                conn.compute.disable_service(service, host=host, binary=BINARY, disabled_reason=reason)
            held = HostHold(window_id=window.id, host=host, ours=True, reason=reason, held_at=utcnow())
        with transaction(engine) as session:
            session.merge(held)
        done.append(held)
    return done


def release(conn: Any, engine: Engine, window_id: str, hosts: list[str]) -> list[str]:
    """Enable what this window disabled on one cloud's hosts, unless another window holds them.

    Returns the hosts enabled.
    """
    enabled = []
    with Session(engine, expire_on_commit=False) as session:
        held = session.scalars(
            select(HostHold).where(
                HostHold.window_id == window_id,
                HostHold.host.in_(hosts),
                HostHold.released_at.is_(None),
            )
        ).all()
    for hold_ in held:
        with Session(engine) as session:
            others = session.scalars(
                select(HostHold.window_id).where(
                    HostHold.host == hold_.host,
                    HostHold.window_id != window_id,
                    HostHold.ours.is_(True),
                    HostHold.released_at.is_(None),
                )
            ).first()
        service = _service(conn, hold_.host) if hold_.ours and others is None else None
        # Still disabled by forewarn: enable it. Someone who changed it since has the last word.
        if service is not None and service.status == "disabled" and _ours(service):
            conn.compute.enable_service(service, host=hold_.host, binary=BINARY)
            enabled.append(hold_.host)
        with transaction(engine) as session:
            session.execute(
                update(HostHold)
                .where(HostHold.window_id == window_id, HostHold.host == hold_.host)
                .values(released_at=utcnow())
            )
    return enabled
