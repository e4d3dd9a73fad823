"""A window's change as CloudEvents 1.0 (structured JSON), one per tenant, holding only that tenant's part."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from forewarn.schemas.impact import ImpactCause, ImpactResolved, TenantImpact

from ..common import rolling
from .store import EVENTS

_EVENT_OF = {
    ImpactCause.SCHEDULED: "scheduled",
    ImpactCause.RESCHEDULED: "rescheduled",
    ImpactCause.EXTENDED: "extended",
    ImpactCause.CANCELLED: "cancelled",
    ImpactCause.STARTED: "started",
    ImpactCause.COMPLETED: "completed",
}
assert set(_EVENT_OF.values()) | {"joined", "left", "cleared", "slot-moved"} == set(EVENTS)


def event_type(provider: str, event: str) -> str:
    """The CloudEvents type, in the operator's reverse-DNS namespace (net.example.cloud.maintenance.…)."""
    return ".".join(reversed(provider.split("."))) + f".maintenance.{event}"


def tenant_events(impact: ImpactResolved) -> list[tuple[str, TenantImpact]]:
    """(event, tenant) for each tenant this impact tells something."""
    if impact.cause is ImpactCause.DRIFTED:
        return [("joined", t) for t in impact.tenants] + [("left", t) for t in impact.left]
    if impact.cause is ImpactCause.PROGRESSED:
        w = impact.window
        return [("cleared", t) for t in impact.tenants if rolling.cleared_now(w, t)] + [
            ("slot-moved", t) for t in impact.tenants if rolling.moved_now(w, t)
        ]
    event = _EVENT_OF.get(impact.cause)
    return [(event, t) for t in impact.tenants] if event else []


def delivery_id(endpoint_id: str, impact: ImpactResolved, event: str) -> str:
    """The webhook-id: the same for every attempt and replay of one event to one endpoint."""
    w = impact.window
    key = f"{endpoint_id}|{w.id}|{w.revision}|{event}|{impact.drift}"
    return "msg_" + hashlib.sha256(key.encode()).hexdigest()[:32]


def cloud_event(impact: ImpactResolved, tenant: TenantImpact, event: str, *, provider: str, id: str) -> str:
    """The structured CloudEvent: the window as the public sees it, and this tenant's own part."""
    w = impact.window
    window = w.model_dump(mode="json", include={"id", "title", "impact", "state", "start", "end", "revision"})
    window |= w.model_dump(mode="json", include={"started_at", "ended_at"})
    data = {
        "window": window,
        "tenant": {
            "id": tenant.tenant_id,
            "name": tenant.name,
            "impact": tenant.impact.value,
            "resources": [r.model_dump(mode="json", exclude={"schema_version"}) for r in tenant.resources],
        },
    }
    if w.series:  # an occurrence of a series: which one
        window["series"] = {"id": w.series.id, "occurrence": _iso(w.series.recurrence_id.start)}
    if w.batches:  # a rolling window: the tenant's own slots, as told
        data["tenant"]["slots"] = [
            {
                "batch": b.number,
                "start": _iso(b.start),
                "end": _iso(b.end),
                "done": all(h in b.done for h in b.hosts),
            }
            for b in rolling.tenant_batches(w, tenant)
        ]
    return json.dumps(
        {
            "specversion": "1.0",
            "id": id,
            "source": f"//{provider}/maintenance/windows/{w.id}",
            "type": event_type(provider, event),
            "subject": w.id,
            "time": _iso(impact.occurred_at),
            "datacontenttype": "application/json",
            "data": data,
        },
        ensure_ascii=False,
    )


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")
