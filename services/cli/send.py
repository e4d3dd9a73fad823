"""Sending a command to the scheduler and waiting for its answer."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

from faststream.nats import NatsBroker
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import DeliverPolicy
from nats.js.errors import NoStreamResponseError

from forewarn.schemas import subjects
from forewarn.schemas.base import Payload
from forewarn.schemas.impact import ImpactResolved

from ..bus import jetstream
from .common import EXIT_ENV, EXIT_INPUT, Abort, err


@dataclass
class Answer:
    """The scheduler's answer, and the impact resolved for the new revision."""

    event: dict
    impact: list[ImpactResolved] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return "reasons" in self.event


async def send(
    broker: NatsBroker, subject: str, command: Payload, *, timeout: float, impact_timeout: float = 0
) -> Answer:
    """Store the command in the stream, wait for the scheduler, then for the impact."""
    # Every ImpactResolved seen, by (window, revision): the resolver may answer
    # before the scheduler's reply has told us which window to look for.
    seen: dict[tuple[str, int], dict[int, ImpactResolved]] = {}
    wanted: list[tuple[str, int]] = []
    complete = asyncio.Event()

    def check() -> None:
        parts = seen.get(wanted[0], {}) if wanted else {}
        if parts and len(parts) == next(iter(parts.values())).parts:
            complete.set()

    async def collect(msg) -> None:
        try:
            result = ImpactResolved.model_validate_json(msg.data)
        except ValueError:
            return
        if result.drift:
            return  # the inventory moved under a window: not the answer to a command
        seen.setdefault((result.window.id, result.window.revision), {})[result.part] = result
        check()

    await _streams_made(broker, timeout)
    # Follow the view from now, before sending, so a fast impact resolver cannot be missed.
    sub = (
        await jetstream.context(broker).subscribe(
            subjects.IMPACT_RESOLVED,
            stream=subjects.VIEW_STREAM,
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.NEW,
            cb=collect,
        )
        if impact_timeout
        else None
    )
    try:
        with err.status("Waiting for the scheduler…", spinner="dots"):
            try:
                reply = await broker.request(
                    command,
                    subject,
                    stream=subjects.COMMAND_STREAM,
                    headers={"Nats-Msg-Id": command.command_id},
                    timeout=timeout,
                )
            except (NoRespondersError, NoStreamResponseError):
                raise Abort(
                    f"stream {subjects.COMMAND_STREAM} went away: is the scheduler running? (`forewarn up`)",
                    code=EXIT_ENV,
                ) from None
            except (TimeoutError, NatsTimeout):
                raise Abort(
                    f"the command {command.command_id} is stored, but the scheduler did not answer within "
                    f"{timeout:.0f}s; it will be applied when the scheduler runs (see `forewarn list`)",
                    code=EXIT_ENV,
                ) from None
        event = json.loads(reply.body)
        answer = Answer(event)
        if answer.rejected or not sub:
            return answer
        wanted.append((event["window"]["id"], event["window"]["revision"]))
        check()
        with err.status("Resolving the affected tenants…", spinner="dots"):
            try:
                await asyncio.wait_for(complete.wait(), impact_timeout)
            except TimeoutError:
                err.print(
                    f"[yellow]note:[/] no impact resolution within {impact_timeout:.0f}s "
                    "(is the impact resolver running?)"
                )
        parts = seen.get(wanted[0], {})
        answer.impact = [parts[i] for i in sorted(parts)]
        return answer
    finally:
        if sub:
            await sub.unsubscribe()


async def _streams_made(broker: NatsBroker, timeout: float) -> None:
    """Wait for the scheduler to make the streams: a stack just started may still be at it."""
    from ..bus.broker import wait_for_streams
    from ..platform.config import StartupError

    with err.status("Waiting for the scheduler to make its streams…", spinner="dots"):
        try:
            await wait_for_streams(jetstream.context(broker), timeout=timeout)
        except StartupError:
            raise Abort(
                f"no scheduler has made stream {subjects.VIEW_STREAM} within {timeout:.0f}s: is it running? "
                "(`forewarn up`, or `forewarn run scheduler`; `forewarn wait` waits for a starting stack)",
                code=EXIT_ENV,
            ) from None


# What an operator can do about a refusal, in this CLI's words: (field, words in the reason, hint).
HINTS = (
    ("window_id", "no window ", "see `forewarn list`"),
    ("hosts", "overlaps live window", "pass --allow-overlap if that is intended"),
    ("hosts.nodeset", "not in the inventory", "see `forewarn inventory hosts`"),
)


def hinted(reason: dict) -> str:
    """A refusal's message, with what to do about it when this CLI knows."""
    for name, words, hint in HINTS:
        if reason["field"] == name and words in reason["message"]:
            return f"{reason['message']} ({hint})"
    return reason["message"]


def rejection(answer: Answer) -> Abort:
    """The scheduler's refusal as a CLI error: every reason, exit code 2."""
    reasons = answer.event["reasons"]
    lines = "\n".join(f"  • {r['field']}: {hinted(r)}" for r in reasons)
    return Abort(
        f"{answer.event.get('command', 'command')} rejected:\n{lines}",
        code=EXIT_INPUT,
        reasons=[(r["field"], r["message"]) for r in reasons],
    )
