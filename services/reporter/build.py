"""The completion report, from what the reporter collected and what the ledger recorded.

Plain functions on a session: the reporter calls them when a window ends, and
`forewarn report` calls them again later, so its notice counts are always current.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from forewarn.schemas.impact import ComponentImpact, ImpactResolved, TenantChange
from forewarn.schemas.notices import MAX_FAILURES_LISTED, NoticeCounts, NoticeFailure, ReportPublished
from forewarn.schemas.windows import WindowView

from ..mail.models import NoticeRecord
from .models import Report, ReportChange, ReportPart, ReportTenant


class NoReport(LookupError):
    """The window has not ended, or its report is still being put together."""


def take_part(session: Session, impact: ImpactResolved) -> bool:
    """Keep one part's tenants; True once every part of the window's final impact is in."""
    window = impact.window
    report = session.get(Report, window.id, with_for_update=True)
    if report is None:
        report = Report(
            window_id=window.id,
            window=window.model_dump(mode="json"),
            parts=impact.parts,
            tenant_count=impact.tenant_count,
            resource_count=impact.resource_count,
            components=[c.model_dump(mode="json") for c in impact.components],
        )
        session.add(report)
        session.flush()
    if session.get(ReportPart, (window.id, impact.part)) is None:
        session.add(ReportPart(window_id=window.id, part=impact.part))
        session.add_all(
            ReportTenant(
                window_id=window.id,
                tenant_id=t.tenant_id,
                name=t.name,
                impact=t.impact.value,
                resources=[r.model_dump(mode="json") for r in t.resources],
            )
            for t in impact.tenants
        )
        session.flush()
    taken = session.scalar(select(func.count()).where(ReportPart.window_id == window.id))
    return taken >= report.parts


def note_drift(session: Session, impact: ImpactResolved) -> None:
    """Keep who joined and who left in one part of a drift; a redelivered part changes nothing."""
    window = impact.window
    changes = [("joined", t.tenant_id) for t in impact.tenants] + [("left", t.tenant_id) for t in impact.left]
    for change, tenant_id in changes:
        key = (window.id, impact.drift, window.revision, tenant_id)
        if session.get(ReportChange, key) is None:
            session.add(
                ReportChange(
                    window_id=window.id,
                    drift=impact.drift,
                    revision=window.revision,
                    tenant_id=tenant_id,
                    change=change,
                    at=impact.occurred_at,
                )
            )


def tenant_changes(session: Session, window_id: str) -> list[TenantChange]:
    """The tenants that joined or left the window before it started, in the order it happened."""
    rows = session.scalars(
        select(ReportChange)
        .where(ReportChange.window_id == window_id)
        .order_by(ReportChange.revision, ReportChange.drift, ReportChange.tenant_id)
    )
    return [TenantChange(tenant_id=r.tenant_id, change=r.change, at=r.at) for r in rows]


def build_report(session: Session, window_id: str) -> ReportPublished:
    """The report of an ended window, with its notices counted now."""
    report = session.get(Report, window_id)
    if report is None:
        raise NoReport(window_id)
    window = WindowView.model_validate(report.window)
    by_kind: dict[str, dict[str, int]] = defaultdict(dict)
    rows = session.execute(
        select(NoticeRecord.kind, NoticeRecord.state, func.count())
        .where(NoticeRecord.window_id == window_id)
        .group_by(NoticeRecord.kind, NoticeRecord.state)
    )
    for kind, state, count in rows:
        by_kind[kind][state] = count
    totals = {
        state: sum(k.get(state, 0) for k in by_kind.values()) for state in ("sent", "failed", "pending")
    }
    overrun = window.ended_at - window.end if window.ended_at else timedelta(0)
    overrun = timedelta(seconds=int(overrun.total_seconds()))  # timers fire within a second
    return ReportPublished(
        window=window,
        outcome="completed" if window.state == "completed" else "cancelled",
        planned_start=window.start,
        planned_end=window.end,
        actual_start=window.started_at,
        actual_end=window.ended_at,
        overrun=max(overrun, timedelta(0)),
        tenant_count=report.tenant_count,
        resource_count=report.resource_count,
        components=[ComponentImpact.model_validate(c) for c in report.components],
        notices=NoticeCounts(**totals),
        notices_by_kind={kind: NoticeCounts(**states) for kind, states in sorted(by_kind.items())},
        failures=failures(session, window_id, limit=MAX_FAILURES_LISTED),
        failure_count=totals["failed"],
        tenant_changes=tenant_changes(session, window_id),
    )


def affected_tenants(session: Session, window_id: str) -> list[dict[str, Any]]:
    """The ended window's tenants and their resources, by tenant id."""
    rows = session.scalars(
        select(ReportTenant).where(ReportTenant.window_id == window_id).order_by(ReportTenant.tenant_id)
    )
    return [
        {"tenant_id": t.tenant_id, "name": t.name, "impact": t.impact, "resources": t.resources} for t in rows
    ]


def failures(session: Session, window_id: str, *, limit: int | None = None) -> list[NoticeFailure]:
    """The window's refused notices, by tenant and contact."""
    rows = session.scalars(
        select(NoticeRecord)
        .where(NoticeRecord.window_id == window_id, NoticeRecord.state == "failed")
        .order_by(NoticeRecord.tenant_id, NoticeRecord.contact)
        .limit(limit)
    )
    return [
        NoticeFailure(
            tenant_id=f.tenant_id, contact=f.contact, kind=f.kind, sequence=f.sequence, reason=f.reply
        )
        for f in rows
    ]
