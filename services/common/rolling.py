"""Rolling windows: hosts taken down in batches, each batch in a slot of its own.

Plain functions over the `Batch` list a WindowView carries, shared by the
scheduler (which plans and moves the slots), the notifier and the reporter
(which tell each tenant its own slots) and the status page (which shows the
progress).

A slot only ever moves later: a batch never begins before the time its
tenants were told. Work running late pushes the batches after it; a batch
whose expected start drifts more than the slack from what its tenants were
told is announced anew, and only its tenants hear of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from forewarn.schemas.impact import TenantImpact
from forewarn.schemas.windows import Batch, WindowView


def plan(batches: list[list[str]], *, start: datetime, per_batch: timedelta, revision: int) -> list[Batch]:
    """Consecutive slots of `per_batch` from `start`, one per batch, in order."""
    planned = []
    for number, hosts in enumerate(batches, start=1):
        begin = start + (number - 1) * per_batch
        planned.append(
            Batch(
                number=number,
                hosts=hosts,
                start=begin,
                end=begin + per_batch,
                announced=revision,
                expected_start=begin,
                expected_end=begin + per_batch,
            )
        )
    return planned


def in_batches(hosts: list[str], size: int) -> list[list[str]]:
    """The hosts, in order, `size` at a time."""
    return [hosts[i : i + size] for i in range(0, len(hosts), size)]


def shifted(batches: list[Batch], by: timedelta, *, revision: int) -> list[Batch]:
    """Every slot moved by the same amount (the window was rescheduled), and told anew."""
    return [
        b.model_copy(
            update=dict(
                start=b.start + by,
                end=b.end + by,
                expected_start=b.expected_start + by,
                expected_end=b.expected_end + by,
                announced=revision,
            )
        )
        for b in batches
    ]


def report(
    batches: list[Batch], hosts: Iterable[str], step: str, *, now: datetime, revision: int
) -> list[Batch]:
    """The batches after work on these hosts began (step "started") or is done ("done")."""
    named = set(hosts)
    out = []
    for b in batches:
        mine = named.intersection(b.hosts)
        if not mine:
            out.append(b)
            continue
        done = dict(b.done)
        if step == "done":
            done.update({host: revision for host in sorted(mine) if host not in done})
        every = len(done) == len(b.hosts)
        # Done without a word of its start: it began when expected, or now if that is later.
        begun = b.started_at or (min(now, b.expected_start) if step == "done" else now)
        out.append(
            b.model_copy(
                update=dict(
                    started_at=begun,
                    done=done,
                    done_at=b.done_at or (now if every else None),
                )
            )
        )
    return out


def reflow(batches: list[Batch], *, now: datetime, slack: timedelta, revision: int) -> list[Batch]:
    """Each batch's expected slot as the work stands; a slot drifted past the slack is told anew.

    A batch begins no earlier than its told start, the end of the batch before
    it, and (if it has not begun) now; a running batch ends no earlier than now.
    """
    out = []
    previous_end: datetime | None = None
    for b in batches:
        length = b.end - b.start
        begin = b.started_at or max(t for t in (b.start, previous_end, now) if t is not None)
        if b.done_at:
            finish = b.done_at
        elif b.started_at:
            finish = max(b.started_at + length, now)
        else:
            finish = begin + length
        update: dict[str, object] = dict(expected_start=begin, expected_end=finish)
        if not b.started_at and begin - b.start > slack:
            update |= dict(start=begin, end=begin + length, announced=revision)
        out.append(b.model_copy(update=update))
        previous_end = finish
    return out


def all_done(batches: list[Batch]) -> bool:
    """Whether every host of every batch is done."""
    return bool(batches) and all(b.done_at for b in batches)


def progress(window: WindowView) -> tuple[int, int]:
    """Hosts done, and hosts in all (0, 0 for a window that is not rolling)."""
    return sum(len(b.done) for b in window.batches), sum(len(b.hosts) for b in window.batches)


def batches_done(window: WindowView) -> int:
    """How many of a rolling window's batches have all their hosts done."""
    return sum(1 for b in window.batches if b.done_at)


def hosts_of(tenant: TenantImpact) -> set[str]:
    """The hosts a tenant's affected resources sit on."""
    return {r.host for r in tenant.resources}


def tenant_batches(window: WindowView, tenant: TenantImpact) -> list[Batch]:
    """The batches holding any of the tenant's hosts, in order."""
    if not window.batches:  # most windows: nothing to look up, on every notice of a fan-out
        return []
    hosts = hosts_of(tenant)
    return [b for b in window.batches if hosts.intersection(b.hosts)]


def tenant_slot(window: WindowView, tenant: TenantImpact) -> tuple[datetime, datetime]:
    """When the tenant's hosts are down, as told: from its first batch's start to its last's end.

    The whole window for a window that is not rolling (or a tenant in no batch).
    """
    mine = tenant_batches(window, tenant)
    if not mine:
        return window.start, window.end
    return mine[0].start, mine[-1].end


def tenant_ran(window: WindowView, tenant: TenantImpact) -> tuple[datetime, datetime] | None:
    """When work on the tenant's hosts really ran, once all of them are done; else None."""
    mine = tenant_batches(window, tenant)
    hosts = hosts_of(tenant)
    if not mine or not all(h in b.done for b in mine for h in hosts.intersection(b.hosts)):
        return None
    begun = mine[0].started_at or window.started_at or mine[0].start
    return begun, max(b.done_at or window.ended_at or b.end for b in mine)


def cleared_now(window: WindowView, tenant: TenantImpact) -> bool:
    """Whether this revision is the one that saw the last of the tenant's hosts done."""
    hosts = hosts_of(tenant)
    said = [b.done.get(h) for b in window.batches for h in hosts.intersection(b.hosts)]
    return bool(said) and None not in said and max(s for s in said if s is not None) == window.revision


def moved_now(window: WindowView, tenant: TenantImpact) -> bool:
    """Whether this revision told one of the tenant's slots anew, while its hosts are not all done."""
    mine = tenant_batches(window, tenant)
    return any(b.announced == window.revision for b in mine) and tenant_ran(window, tenant) is None
