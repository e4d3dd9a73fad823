"""`forewarn dlq`: messages a consumer could not use, and replaying one once its cause is fixed."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from .common import Abort, console, report, safe
from .render import dump

if TYPE_CHECKING:
    from .letters import Stored

app = typer.Typer(help="Dead letters: what was rejected or given up on, and why.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@app.command("list")
def listletters(as_json: JsonOpt = False) -> None:
    """Dead letters with their subject, consumer and reason, oldest first."""
    from ..bus import jetstream
    from ..platform.config import CommonSettings
    from .common import connected
    from .letters import letters

    async def go() -> list[Stored]:
        async with connected(CommonSettings()) as broker:
            return await letters(jetstream.context(broker))

    try:
        found = asyncio.run(go())
    except Abort as exc:
        report(exc, as_json=as_json)
    if as_json:
        dump([s.letter.model_dump(mode="json", exclude={"schema_version", "type"}) for s in found])
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
    """Publish the original message again, from its stream, and remove its dead letters.

    The message is read from the stream the letter names, never from the letter's
    copy; a letter that does not match it is refused. Every consumer of its
    subject receives it again; they all recognise work already done, so only
    what failed is done now.
    """
    from nats.js.errors import NotFoundError

    from forewarn.schemas import msgids, subjects

    from ..bus import jetstream
    from ..bus.publish import Outgoing, publish
    from ..platform.config import CommonSettings
    from .common import connected
    from .letters import letters, original_of, replayable

    async def go() -> dict:
        settings = CommonSettings()
        # Only an operator's login may write on other services' subjects and delete letters.
        async with connected(settings, login="admin") as broker:
            js = jetstream.context(broker)
            mine = [s for s in await letters(js, subjects.STREAM) if s.letter.id == letter_id]
            if not mine:
                raise Abort(f"ID: no dead letter {letter_id!r} (see `forewarn dlq list`)")
            if not replayable(mine[0].letter.subject):
                raise Abort(f"ID: {letter_id} holds no message that can be replayed")
            subject, data = await original_of(js, mine[0])
            ack = await publish(
                broker, Outgoing(subject, msgids.replay(letter_id), data), timeout=settings.publish_timeout
            )
            view = await jetstream.view_context(broker)
            for stored in mine:
                # The view mirrors MAINT's sequence numbers, but not its deletions.
                for where, stream in ((js, subjects.STREAM), (view, subjects.VIEW_STREAM)):
                    with suppress(NotFoundError):
                        await where.delete_msg(stream, stored.seq)
            return {
                "id": letter_id,
                "subject": subject,
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
