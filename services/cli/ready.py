"""`forewarn wait`: until the stack would take a booking, for scripts that start it and book."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from .common import EXIT_ENV, Abort, console, err, report
from .render import dump

# How often to ask again while the stack is still starting.
POLL_S = 0.5


def wait(
    timeout: Annotated[
        str, typer.Option("--timeout", metavar="DURATION", help="Give up after this long (60s, 2m).")
    ] = "60s",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Wait until the stack is ready: its streams exist and a scheduler, resolver and notifier pull.

    Exits 0 once a booking would go through, or 1 at the timeout, saying what is still missing.
    """
    from ..common.durations import parse_duration

    try:
        limit = parse_duration(timeout).total_seconds()
    except ValueError as exc:
        report(Abort(f"--timeout: {exc}"), as_json=as_json)
    try:
        with err.status("Waiting for the stack to be ready…", spinner="dots"):
            asyncio.run(_until_ready(limit))
    except Abort as exc:
        report(exc, as_json=as_json)
    if as_json:
        dump({"ready": True})
    else:
        console.print("[green]✓[/] forewarn is ready")


async def _until_ready(limit: float) -> None:
    from ..bus import jetstream
    from ..bus.publish import TRANSIENT
    from ..bus.readiness import unready_for_booking
    from ..platform.config import CommonSettings
    from .common import connected

    settings = CommonSettings()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    why = ["no answer from NATS"]
    while loop.time() < deadline:
        try:
            async with connected(settings) as broker:
                # The services' consumers are across the account boundary from the CLI's login.
                services = await jetstream.services_context(broker)
                while loop.time() < deadline:
                    try:
                        why = await unready_for_booking(services, jetstream.context(broker))
                    except TRANSIENT as exc:  # a cluster electing its leader, say: ask again
                        why = [f"JetStream did not answer ({type(exc).__name__})"]
                    if not why:
                        return
                    await asyncio.sleep(POLL_S)
        except Abort as exc:  # NATS itself is not up yet: the stack may be starting
            why = [str(exc)]
            await asyncio.sleep(POLL_S)
    raise Abort(f"not ready after {limit:g}s: {'; '.join(why)}", code=EXIT_ENV)
