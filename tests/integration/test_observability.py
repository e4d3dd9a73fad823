"""Traces, metrics and logs: what an operator sees of one booking."""

from __future__ import annotations

import asyncio
import json
import urllib.request
import uuid
from collections import defaultdict
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import nats
import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from forewarn.schemas import subjects
from forewarn.schemas.base import Impact
from forewarn.schemas.commands import BookWindow, HostSelector
from forewarn.services.bus.broker import build_broker
from forewarn.services.cli.send import send
from forewarn.services.platform.config import CommonSettings
from forewarn.services.runtime.stack import Stack

from ..conftest import NatsServer
from ..fleet import Recorder, make_fleet, stop_fleet
from .conftest import eventually, stream_messages
from .smtp import Inbox, free_port
from .web import metric, scrape

pytestmark = pytest.mark.integration

SERVICES = ("scheduler", "impact", "notifier", "reporter")


def traced(name: str, exporter: InMemorySpanExporter) -> TracerProvider:
    """A tracer provider for one service, sending its spans to the shared exporter at once."""
    provider = TracerProvider(resource=Resource.create({"service.name": f"forewarn-{name}"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


def book(title: str, hosts: str) -> BookWindow:
    start = datetime.now(UTC) + timedelta(seconds=2)
    return BookWindow(
        command_id=f"trace-{uuid.uuid4().hex[:12]}",
        title=title,
        impact=Impact.OUTAGE,
        start=start,
        end=start + timedelta(seconds=2),
        hosts=HostSelector(nodeset=hosts),
    )


async def test_one_trace_follows_each_booking_through_every_service(env, js, smtp) -> None:
    inbox = smtp(Inbox())
    exporter = InMemorySpanExporter()
    async with AsyncExitStack() as running:
        for name in SERVICES:  # the scheduler first: it declares the stream
            stack = Stack([name], tracer_provider=traced(name, exporter))
            await stack.start()
            running.push_async_callback(stack.stop)
        cli = build_broker(
            CommonSettings(), name="cli", reliable=False, tracer_provider=traced("cli", exporter)
        )
        await cli.connect()
        running.push_async_callback(cli.stop)
        bookings = [book("Firmware", "sto1-cmp-[01-02]"), book("Kernel", "sto1-cmp-[03-04]")]
        for command in bookings:
            answer = await send(cli, subjects.BOOK, command, timeout=10)
            assert not answer.rejected
        await eventually(lambda: _count(stream_messages(js, subjects.REPORT_PUBLISHED), 2), timeout=30)
        await eventually(lambda: len(inbox.messages) >= 2, timeout=10)

    by_trace: dict[int, set[str]] = defaultdict(set)
    for span in exporter.get_finished_spans():
        by_trace[span.context.trace_id].add(span.resource.attributes["service.name"])
    booked = [services for services in by_trace.values() if "forewarn-cli" in services]
    everyone = {"forewarn-cli", *(f"forewarn-{name}" for name in SERVICES)}
    assert len(booked) == len(bookings), "each booking has its own trace"
    assert all(services == everyone for services in booked), booked


async def _count(messages, n: int) -> bool:
    return len(await messages) >= n


ALL = ("scheduler", "impact", "notifier", "reporter", "statuspage")
# The durable consumers each service reads, as its /metrics report their lag.
CONSUMERS = {
    "scheduler": {
        *(
            f"scheduler-{c}"
            for c in ("book", "reschedule", "extend", "cancel", "complete", "progress", "series")
        ),
        "scheduler-due",
        "scheduler-dead-letters",
    },
    "impact": {
        f"impact-{c}"
        for c in (
            "scheduled",
            "rescheduled",
            "extended",
            "cancelled",
            "started",
            "completed",
            "progressed",
            "drift",
            "drift-due",
        )
    },
    "notifier": {"notifier", "notifier-reminders", "notifier-webhooks"},
    "reporter": {"reporter", "reporter-replies"},
    "statuspage": set(),
}


class RefuseOne(Recorder):
    """Refuses one contact for good, so that the notifier has a tenant's failure to log."""

    def verdict(self, rcpt: str, message_id: str) -> str | None:
        return "550 5.1.1 no such mailbox" if rcpt == "noc@t003.example" else None


async def test_every_service_serves_metrics_and_logs_json_with_its_ids(tmp_path, capsys) -> None:
    server = NatsServer(tmp_path / "nats")
    server.start()
    fleet = await make_fleet(
        tmp_path,
        capsys,
        server.url,
        tenants=10,
        recorder=RefuseOne(),
        FOREWARN_LOG_FORMAT="json",
        FOREWARN_STATUS_PORT="0",
    )
    ports = {name: free_port() for name in ALL}
    try:
        await fleet.start(*ALL, env={n: {"FOREWARN_METRICS_PORT": str(p)} for n, p in ports.items()})
        wid = await fleet.book(start="+6s", duration="2s")
        nc = await nats.connect(server.url)
        await nc.jetstream().publish(subjects.BOOK, b"{not json", headers={"Nats-Msg-Id": "garbage-1"})
        await nc.close()
        received = fleet.mail.handler.received
        await eventually(lambda: sum(received.values()) == 2 * (2 * 10 - 1), timeout=60)
        await eventually(lambda: _drained(ports), timeout=30)
        scraped = {name: await asyncio.to_thread(scrape, port) for name, port in ports.items()}
        health = {name: await asyncio.to_thread(_health, port) for name, port in ports.items()}
    finally:
        await stop_fleet(fleet)
        server.stop()

    assert all(status == 200 for status in health.values()), health
    for name, metrics in scraped.items():
        names = {sample for sample, _ in metrics}
        # FastStream's own message counters, and each consumer's lag, from every service; the
        # status page follows the view with nats-py, and counts what it applied and has yet to.
        if name == "statuspage":
            assert metric(metrics, "forewarn_statuspage_events_applied_total") > 0
            assert metric(metrics, "forewarn_statuspage_lag_messages") == 0
        else:
            assert "faststream_received_messages_total" in names, (name, sorted(names))
        lag = {
            dict(labels)["consumer"]: v
            for (s, labels), v in metrics.items()
            if s.endswith("pending_messages")
        }
        assert set(lag) == CONSUMERS[name] and not any(lag.values()), (name, lag)
    notifier, reporter, scheduler = scraped["notifier"], scraped["reporter"], scraped["scheduler"]
    assert metric(notifier, "forewarn_notices_total", kind="scheduled", state="sent") == 19
    assert metric(notifier, "forewarn_notices_total", kind="scheduled", state="failed") == 1
    assert metric(reporter, "forewarn_notices_total", kind="completed", state="sent") == 19
    assert metric(notifier, "forewarn_smtp_send_seconds_count", outcome="sent") == 19
    assert metric(notifier, "forewarn_smtp_send_seconds_count", outcome="refused") == 1
    assert metric(scheduler, "forewarn_dead_letters_total", consumer="scheduler-book") == 1

    # Every line is one JSON object; those about the window or a tenant carry its id.
    for name in ALL:
        lines = [json.loads(line) for line in (tmp_path / f"{name}.log").read_text().splitlines()]
        assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
        about_window = [line for line in lines if wid in line["message"]]
        assert all(line.get("window_id") == wid for line in about_window), (name, about_window)
    notifier_lines = [json.loads(line) for line in (tmp_path / "notifier.log").read_text().splitlines()]
    [refused] = [line for line in notifier_lines if "refused for good" in line["message"]]
    assert refused["window_id"] == wid and refused["tenant_id"] == "t003"


def _drained(ports: dict[str, int]) -> bool:
    """Every consumer has taken and acknowledged everything."""
    for port in ports.values():
        for (sample, _), v in scrape(port).items():
            if sample.startswith("forewarn_consumer_") and v:
                return False
    return True


def _health(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
        return response.status
