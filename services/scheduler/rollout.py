"""A rolling window's batches, as the scheduler plans, checks and moves them."""

from __future__ import annotations

from datetime import datetime, timedelta

from ClusterShell.NodeSet import NodeSet, NodeSetException

from forewarn.schemas.commands import ReportProgress, Rolling
from forewarn.schemas.windows import Batch, Reason

from ..common import rolling
from ..common.durations import format_duration
from ..common.hostnames import fold


def split(spec: Rolling, hosts: list[str]) -> tuple[list[list[str]], list[Reason]]:
    """The window's hosts in batches, in the order they go, or why they cannot be."""
    if spec.batch_size is not None:
        ordered = list(NodeSet.fromlist(hosts)) if hosts else []
        return rolling.in_batches(ordered, spec.batch_size), []
    batches: list[list[str]] = []
    reasons: list[Reason] = []
    seen: set[str] = set()
    for number, nodeset in enumerate(spec.batches, start=1):
        try:
            names = list(NodeSet(nodeset))
        except NodeSetException as exc:
            reasons.append(Reason(field="rolling.batches", message=f"batch {number}: {exc}"))
            continue
        if not names:
            reasons.append(Reason(field="rolling.batches", message=f"batch {number} names no host"))
            continue
        stray = [n for n in names if n not in hosts]
        twice = [n for n in names if n in seen]
        if stray:
            reasons.append(
                Reason(
                    field="rolling.batches",
                    message=f"batch {number}: {fold(stray)} not among the window's hosts",
                )
            )
        if twice:
            reasons.append(
                Reason(
                    field="rolling.batches",
                    message=f"batch {number}: {fold(twice)} already in an earlier batch",
                )
            )
        seen.update(names)
        batches.append(names)
    left = [h for h in hosts if h not in seen]
    if left and not reasons:
        reasons.append(Reason(field="rolling.batches", message=f"{fold(left)} in no batch"))
    return batches, reasons


def check_fits(count: int, per_batch: timedelta, start: datetime, end: datetime) -> list[Reason]:
    """The batches' slots, one after another, must fit in the window."""
    needed = count * per_batch
    if start + needed <= end:
        return []
    return [
        Reason(
            field="rolling.per_batch",
            message=f"{count} batches of {format_duration(per_batch)} need {format_duration(needed)}, "
            f"the window lasts {format_duration(end - start)}: end it at "
            f"{start + needed:%Y-%m-%d %H:%M}Z or later",
        )
    ]


def named_hosts(cmd: ReportProgress, batches: list[Batch]) -> tuple[list[str], list[Reason]]:
    """The hosts a progress report names, or why it names none of the window's."""
    if cmd.batch is not None:
        if cmd.batch > len(batches):
            return [], [Reason(field="batch", message=f"the window has {len(batches)} batches")]
        return batches[cmd.batch - 1].hosts, []
    try:
        names = list(NodeSet(cmd.hosts or ""))
    except NodeSetException as exc:
        return [], [Reason(field="hosts", message=str(exc))]
    held = {h for b in batches for h in b.hosts}
    stray = [n for n in names if n not in held]
    if stray:
        return [], [Reason(field="hosts", message=f"{fold(stray)} not in this window")]
    return names, []
