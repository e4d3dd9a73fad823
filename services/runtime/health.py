"""What an orchestrator and Prometheus ask of a process: /health and /metrics."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from urllib.parse import urlsplit

from faststream.nats import NatsBroker
from nats.js.errors import NotFoundError
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from forewarn import schemas

from ..bus import jetstream
from ..bus.readiness import consumers_of, missing
from ..platform.metrics import Metrics


def ops_app(by_login: dict[str, NatsBroker], metrics: Metrics, servers: list[str]) -> Starlette:
    """/metrics for Prometheus; /health for orchestrators; /docs/asyncapi.json for the operator's tools.

    `/health` (and `/health/live`) is 200 while NATS answers: a liveness probe.
    `/health/ready` is 200 once every stream and durable consumer this process
    needs exists as well: a readiness probe, which a process whose scheduler has
    not made the streams yet fails. A service that works on with something else
    down (the inventory without a cloud's notification bus) is "degraded" and
    still 200: a restart would not help.
    """

    brokers = list(by_login.values())

    async def state() -> tuple[dict, bool, bool]:
        alive = all([await broker.ping(timeout=2) for broker in brokers])
        needs = sorted({pair for broker in brokers for pair in consumers_of(broker)})
        gone = await _missing(by_login) if alive else ["a connection to NATS"]
        troubles = {what: why for check in metrics.troubles for what, why in (await check()).items()}
        status = "nats_unreachable" if not alive else "degraded" if troubles else "ok"
        body = {
            "status": status,
            "ready": not gone,
            "consumers": [name for _, name in needs],
            **({"missing": gone} if gone else {}),
            **({"troubles": troubles} if troubles else {}),
        }
        return body, alive, not gone

    async def live(request: Request) -> Response:
        body, alive, _ = await state()
        return JSONResponse(body, status_code=200 if alive else 503, headers={"cache-control": "no-store"})

    async def ready(request: Request) -> Response:
        body, _, is_ready = await state()
        return JSONResponse(body, status_code=200 if is_ready else 503, headers={"cache-control": "no-store"})

    async def scrape(request: Request) -> Response:
        return Response(await metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    async def asyncapi(request: Request) -> Response:
        return JSONResponse(asyncapi_document(servers))

    return Starlette(
        routes=[
            Route("/health", live),
            Route("/health/live", live),
            Route("/health/ready", ready),
            Route("/metrics", scrape),
            # Every subject and payload, commands and dead letters included: the operator's, not the public's.
            Route("/docs/asyncapi.json", asyncapi),
        ]
    )


def asyncapi_document(servers: list[str]) -> dict:
    """The AsyncAPI document, its servers the NATS servers this process really uses (no password)."""
    doc = json.loads((Path(schemas.__file__).parent / "asyncapi.json").read_text(encoding="utf-8"))
    doc["servers"] = {
        f"nats-{n}": {"host": urlsplit(url).netloc.rpartition("@")[2], "protocol": "nats"}
        for n, url in enumerate(servers, start=1)
    }
    for channel in doc.get("channels", {}).values():
        channel["servers"] = [{"$ref": f"#/servers/{name}"} for name in doc["servers"]]
    return doc


async def _missing(by_login: dict[str, NatsBroker]) -> list[str]:
    """What this process's consumers need that does not exist; each login asks of its own."""
    gone: list[str] = []
    try:
        for login, broker in by_login.items():
            needs = consumers_of(broker)
            gone += await asyncio.wait_for(missing(jetstream.context(broker), needs, login=login), timeout=2)
    except Exception as exc:  # the server answered the ping but not this: not ready, and why
        gone.append(f"an answer from JetStream ({type(exc).__name__})")
    return list(dict.fromkeys(gone))


async def read_lag(metrics: Metrics, brokers: list[NatsBroker]) -> None:
    """Read the lag of this process's consumers from the server, as of now."""
    for broker in brokers:
        js = jetstream.context(broker)
        for stream, name in consumers_of(broker):
            with contextlib.suppress(NotFoundError):
                info = await js.consumer_info(stream, name)
                metrics.pending.labels(name).set(info.num_pending or 0)
                metrics.ack_pending.labels(name).set(info.num_ack_pending or 0)
                metrics.redelivered.labels(name).set(info.num_redelivered or 0)
