"""A small HTTP client for the tests: plain GETs, and a reader of server-sent events."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urlsplit

from prometheus_client.parser import text_string_to_metric_families


@dataclass
class Page:
    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()

    def json(self):
        return json.loads(self.body)


def _get(url: str) -> Page:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return Page(response.status, response.headers, response.read())
    except urllib.error.HTTPError as exc:
        return Page(exc.code, exc.headers, exc.read())


async def get(url: str) -> Page:
    """GET without raising on 4xx/5xx."""
    return await asyncio.to_thread(_get, url)


class EventStream:
    """An open /events connection; `next()` returns the data of the next event."""

    def __init__(self, url: str) -> None:
        self.url = urlsplit(url)

    async def __aenter__(self) -> EventStream:
        self.reader, self.writer = await asyncio.open_connection(self.url.hostname, self.url.port)
        request = (
            f"GET {self.url.path} HTTP/1.1\r\nHost: {self.url.netloc}\r\nAccept: text/event-stream\r\n\r\n"
        )
        self.writer.write(request.encode())
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head
        return self

    async def next(self, timeout: float = 5.0) -> dict:
        """The next 'change' event's data; pings and chunk sizes are skipped."""
        while True:
            line = await asyncio.wait_for(self.reader.readline(), timeout)
            if not line:
                raise EOFError("the event stream ended")
            if line.startswith(b"data: "):
                return json.loads(line[6:])

    async def __aexit__(self, *exc) -> None:
        self.writer.close()


API = "/api/v2/"


async def api(base: str, name: str) -> dict:
    """One document of the status page's Statuspage API, checked to be JSON."""
    page = await get(base + API + name)
    assert page.status == 200, (name, page.status)
    assert page.headers["content-type"] == "application/json"
    return page.json()


def scrape(port: int) -> dict[tuple[str, frozenset], float]:
    """A process's /metrics on 127.0.0.1:PORT, as {(sample name, labels): value}."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def metric(scraped: dict[tuple[str, frozenset], float], name: str, **labels: str) -> float:
    """One sample of a scrape, 0 when absent (a labelled counter not yet used)."""
    return scraped.get((name, frozenset(labels.items())), 0)
