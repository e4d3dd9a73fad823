"""`forewarn nats-config`: a nats-server configuration with one user per service."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from .common import err


def nats_config(
    out: Annotated[Path | None, typer.Option(metavar="FILE", help="Write here instead of printing.")] = None,
    listen: Annotated[str, typer.Option(metavar="HOST:PORT", help="Client address.")] = "0.0.0.0:4222",
    store_dir: Annotated[str, typer.Option(metavar="DIR", help="JetStream's store.")] = "/data/jetstream",
    name: Annotated[
        str, typer.Option(metavar="NAME", help="Server name, needed in a cluster (or nats-server -n).")
    ] = "",
    http: Annotated[
        str,
        typer.Option(
            metavar="HOST:PORT", help="Monitoring address for health checks, e.g. 0.0.0.0:8222; empty: none."
        ),
    ] = "",
    routes: Annotated[
        list[str] | None,
        typer.Option("--route", metavar="URL", help="A cluster peer, nats-route://HOST:6222; repeat."),
    ] = None,
    passwords: Annotated[
        bool, typer.Option("--passwords", help="Also print new random passwords as export lines, on stderr.")
    ] = False,
) -> None:
    """Write a nats-server configuration: JetStream and one user per forewarn service.

    Each user may publish only what its service publishes (only the scheduler
    may publish window lifecycle events; the status page publishes nothing).
    Passwords stay out of the file: nats-server reads each from its environment.
    """
    from ..bus.accounts import ADMIN, USERS, new_password
    from ..bus.natsconf import server_config

    text = server_config(listen=listen, store_dir=store_dir, routes=routes, name=name, http=http)
    if out:
        out.write_text(text)
    else:
        sys.stdout.write(text)
    err.print("Set these for nats-server, and give each service its own as FOREWARN_NATS_PASSWORD:")
    for user in (*USERS, ADMIN):
        if passwords:
            err.print(f"export {user.env}={new_password()}  # {user.login}", highlight=False, soft_wrap=True)
        else:
            err.print(f"  {user.env:<36} for user {user.login}", highlight=False)
