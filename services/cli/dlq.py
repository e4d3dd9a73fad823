"""`forewarn dlq`: messages a consumer could not use, and replaying one once its cause is fixed."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from dataclasses import dataclass
from typing import Annotated

import typer
from nats.js.api import DeliverPolicy
from nats.js.errors import NotFoundError
from rich.table import Table

from forewarn.schemas import msgids, subjects
from forewarn.schemas.events import DeadLettered

from ..bus import jetstream
from ..bus.publish import Outgoing, publish
from ..bus.reliability import PAYLOAD_KEEP
from ..config import CommonSettings
from .common import Abort, connected, console, report, safe
from .render import dump

app = typer.Typer(help="Dead letters: what was rejected or given up on, and why.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@dataclass(frozen=True)
class Stored:
    """A dead letter and where the stream holds it."""

    letter: DeadLettered
    seq: int


async def _letters(js) -> list[Stored]:
    """Every dead letter in the stream, oldest first."""
    try:
        info = await js.stream_info(subjects.VIEW_STREAM, subjects_filter=subjects.DEAD_LETTERS)
    except NotFoundError:
        raise Abort(
            f"stream {subjects.VIEW_STREAM} does not exist yet: start the scheduler", code=1
        ) from None
    total = sum((info.state.subjects or {}).values())
    if not total:
        return []
    sub = await js.subscribe(
        subjects.DEAD_LETTERS,
        stream=subjects.VIEW_STREAM,
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.ALL,
    )
    try:
        found = []
        for _ in range(total):
            msg = await sub.next_msg(timeout=5)
            found.append(Stored(_letter(msg), msg.metadata.sequence.stream))
        return found
    finally:
        await sub.unsubscribe()


def _letter(msg) -> DeadLettered:
    """The dead letter a message holds; one that holds none is listed as such, never replayed."""
    try:
        return DeadLettered.model_validate_json(msg.data)
    except ValueError as exc:
        seq = msg.metadata.sequence.stream
        return DeadLettered(
            id=f"unreadable.{seq}",
            subject="?",
            consumer=msg.subject.removeprefix(subjects.DEAD_LETTER_PREFIX + "."),
            reason=f"not a dead letter record ({type(exc).__name__}); kept as it is",
            stream_seq=seq,
            payload=bytes(msg.data[:PAYLOAD_KEEP]).decode("utf-8", errors="replace"),
        )


def _replayable(subject: str) -> bool:
    try:
        return subject.startswith("maint.") and bool(subjects.stream_of(subject))
    except ValueError:
        return False


@app.command("list")
def list_letters(as_json: JsonOpt = False) -> None:
    """Dead letters with their subject, consumer and reason, oldest first."""

    async def go() -> list[Stored]:
        async with connected(CommonSettings()) as broker:
            return await _letters(jetstream.context(broker))

    try:
        found = asyncio.run(go())
    except Abort as exc:
        report(exc, as_json=as_json)
    if as_json:
        dump([s.letter.model_dump(mode="json", exclude={"schema_version"}) for s in found])
        return
    if not found:
        console.print("No dead letters.")
        return
    table = Table("ID", "At (UTC)", "Consumer", "Subject", "Reason", header_style="bold")
    for s in found:
        at = f"{s.letter.occurred_at:%Y-%m-%d %H:%M:%S}"
        table.add_row(*map(safe, (s.letter.id, at, s.letter.consumer, s.letter.subject, s.letter.reason)))
    console.print(table)
    console.print("Replay one with `forewarn dlq retry ID` once its cause is fixed.")


@app.command("retry")
def retry(
    letter_id: Annotated[
        str, typer.Argument(metavar="ID", help="A dead letter's ID from `forewarn dlq list`.")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Publish the original message again, to its subject, and remove its dead letters.

    Every consumer of that subject receives it again; they all recognise work
    already done, so only what failed is done now.
    """

    async def go() -> dict:
        settings = CommonSettings()
        # Only an operator's login may write on other services' subjects and delete letters.
        async with connected(settings, login="admin") as broker:
            js = jetstream.context(broker)
            mine = [s for s in await _letters(js) if s.letter.id == letter_id]
            if not mine:
                raise Abort(f"ID: no dead letter {letter_id!r} (see `forewarn dlq list`)")
            original = mine[0].letter
            if not _replayable(original.subject):
                raise Abort(f"ID: {letter_id} holds no message that can be replayed")
            ack = await publish(
                broker,
                Outgoing(original.subject, msgids.replay(letter_id), original.payload.encode()),
                timeout=settings.publish_timeout,
            )
            for stored in mine:
                # The view mirrors MAINT's sequence numbers, but not its deletions.
                for stream in (subjects.STREAM, subjects.VIEW_STREAM):
                    with suppress(NotFoundError):
                        await js.delete_msg(stream, stored.seq)
            return {
                "id": letter_id,
                "subject": original.subject,
                "stream_seq": ack.seq,
                "duplicate": ack.duplicate,
            }

    try:
        done = asyncio.run(go())
    except Abort as exc:
        report(exc, as_json=as_json)
    if as_json:
        dump(done)
    else:
        console.print(
            f"[green]✓[/] replayed {letter_id} on {done['subject']} (stream seq {done['stream_seq']})"
        )
