"""`forewarn tail`: the event stream as it happens, a fan-out's notices summed up per window."""

from __future__ import annotations

import asyncio
import json
import signal
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

import typer

from forewarn.schemas import subjects

from .common import Abort, console, report, safe

# Notice outcomes about one window, summed up once none has come for this long.
QUIET_S = 1.0
OUTCOMES = (subjects.NOTICE_DELIVERED, subjects.NOTICE_FAILED)


def tail(
    from_start: Annotated[
        bool, typer.Option("--from-start", help="Replay the stream from its start.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="One line per notice, instead of a sum per window.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Print the live event stream until interrupted."""
    from nats.js.api import DeliverPolicy

    from ..bus import jetstream
    from ..platform.config import CommonSettings
    from .common import connected

    async def go() -> None:
        # Ctrl-C (or a SIGTERM) ends the loop, and the subscription is let go of before the
        # connection: cancelling the whole run instead could leave nats-py's consumer task behind.
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with connected(CommonSettings()) as broker:
            js = jetstream.context(broker)
            policy = DeliverPolicy.ALL if from_start else DeliverPolicy.NEW
            sub = await js.subscribe(
                subjects.ALL, stream=subjects.VIEW_STREAM, ordered_consumer=True, deliver_policy=policy
            )
            notices = Notices()
            try:
                while not stop.is_set():
                    msg = await _next(sub, stop)
                    if msg is None:
                        notices.flush()
                        continue
                    stored = msg.metadata.timestamp
                    if as_json:
                        print_json(msg.subject, msg.data, stored)
                    elif msg.subject in OUTCOMES and not verbose:
                        notices.add(msg.subject, msg.data, stored)
                    else:
                        notices.flush()
                        print_event(msg.subject, msg.data, stored)
            finally:
                notices.flush()
                with suppress(Exception):
                    await asyncio.wait_for(sub.unsubscribe(), timeout=2)

    try:
        asyncio.run(go())
    except Abort as exc:
        report(exc, as_json=as_json)
    except KeyboardInterrupt:
        pass


async def _next(sub, stop: asyncio.Event):
    """The next message, or None after QUIET_S without one, or once told to stop."""
    message = asyncio.ensure_future(sub.messages.__anext__())
    stopping = asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait({message, stopping}, timeout=QUIET_S, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if message in done:
        return message.result()
    message.cancel()
    with suppress(asyncio.CancelledError, StopAsyncIteration):
        await message
    return None


@dataclass
class Notices:
    """Notice outcomes not printed yet: a fan-out to hundreds is one line per window and outcome."""

    seen: dict[tuple[str, str], Counter] = field(default_factory=dict)
    people: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    first: dict[tuple[str, str], datetime] = field(default_factory=dict)

    def add(self, subject: str, data: bytes, stored: datetime) -> None:
        event = _loaded(data)
        key = (str(event.get("window_id", "")), subject)
        self.seen.setdefault(key, Counter())[str(event.get("kind", "?"))] += 1
        self.people.setdefault(key, set()).add(str(event.get("contact", "")))
        self.first.setdefault(key, stored)

    def flush(self) -> None:
        for (window_id, subject), kinds in self.seen.items():
            total = sum(kinds.values())
            what = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
            to = len(self.people[(window_id, subject)])
            line = f"{window_id} {total} notices ({what}) to {to} contacts"
            _print(self.first[(window_id, subject)], subject, line)
        self.seen.clear()
        self.people.clear()
        self.first.clear()


def print_json(subject: str, data: bytes, stored: datetime) -> None:
    line = {"subject": subject, "stored_at": stored.isoformat(), "event": _loaded(data)}
    print(json.dumps(line), flush=True)


def print_event(subject: str, data: bytes, stored: datetime) -> None:
    """One event as one line: what happened to which window, and for a notice, to whom."""
    from ..common.hostnames import fold

    event = _loaded(data)
    window = event.get("window") or {}
    summary = window.get("id") or event.get("window_id") or event.get("command_id") or ""
    if subject == subjects.IMPACT_RESOLVED:
        summary += f" {event.get('tenant_count')} tenants, {event.get('resource_count')} resources"
    elif subject == subjects.REJECTED:
        summary += " " + "; ".join(f"{r['field']}: {r['message']}" for r in event.get("reasons", []))
    elif subject in OUTCOMES:
        summary += f" {event.get('kind')} to {event.get('contact')} ({event.get('tenant_id')})"
        if subject == subjects.NOTICE_FAILED:
            summary += f": {event.get('reason')}"
    elif window:
        hosts = fold(window.get("hosts", []))
        summary += f" {window.get('state')} r{window.get('revision')} {window.get('title')!r} on {hosts}"
    _print(stored, subject, summary)


def _print(stored: datetime, subject: str, summary: str) -> None:
    at = f"{stored:%Y-%m-%d %H:%M:%S}"
    console.print(f"[dim]{at}[/] [bold]{safe(subject)}[/] {safe(summary)}", highlight=False, soft_wrap=True)


def _loaded(data: bytes) -> dict:
    try:
        found = json.loads(data)
    except ValueError:
        return {"raw": data[:200].decode("utf-8", "replace")}
    return found if isinstance(found, dict) else {"raw": str(found)[:200]}
