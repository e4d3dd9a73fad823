"""Logging for the services: plain lines by default, JSON lines for log pipelines.

Whatever a line is about travels with it: `about(window_id=..., tenant_id=...)`
marks the work in its scope, and every line logged inside it (the framework's
too) carries those ids, and the trace id when tracing is on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Literal

import stamina
from opentelemetry import trace
from pythonjsonlogger.json import JsonFormatter

_fields: ContextVar[dict[str, str]] = ContextVar("forewarn_log_fields", default={})  # noqa: B039 (never mutated)


@contextmanager
def about(**fields: str) -> Iterator[None]:
    """Every log line inside carries these fields (window_id, tenant_id)."""
    token = _fields.set(_fields.get() | fields)
    try:
        yield
    finally:
        _fields.reset(token)


class _Context(logging.Filter):
    """Adds the ids of the work in progress, and the current trace id, to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _fields.get().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            record.trace_id = format(span.trace_id, "032x")
        return True


class _QuietSupervisor(logging.Filter):
    """FastStream logs every consumer task's end ("callback for Task-7 is being
    executed...") at INFO, ten lines on each stop; they tell an operator nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("callback for Task-")


def configure_logging(level: str, fmt: Literal["text", "json"] = "text", file: Path | None = None) -> None:
    """Lines on stderr, or appended to a file, at the given level: timestamped text, or JSON objects."""
    handler: logging.Handler = (
        logging.FileHandler(file, encoding="utf-8") if file else logging.StreamHandler()
    )
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(
                "{levelname}{name}{message}",
                style="{",
                rename_fields={"levelname": "level", "name": "logger"},
                timestamp="time",  # ISO 8601 in UTC, to the microsecond
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    handler.addFilter(_QuietSupervisor())
    handler.addFilter(_Context())
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    # Each start's "Context impl SQLiteImpl." and "Started server process", and the demo
    # inbox's "Peer: …" and "EOF received" for every mail: noise, not news.
    for chatty in ("alembic", "uvicorn.error", "mail.log"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLogger().level))
    # stamina's own line says only "stamina.retry_scheduled": say what, why and what next.
    stamina.instrumentation.set_on_retry_hooks([_log_retry])


def _log_retry(details: stamina.instrumentation.RetryDetails) -> None:
    what = details.name.rsplit(".", 1)[-1].strip("_")
    # A publish says where to: its message (Outgoing) names the subject.
    subject = next((a.subject for a in details.args if isinstance(getattr(a, "subject", None), str)), None)
    logging.getLogger("forewarn.retry").warning(
        "%s failed (%s: %s); trying again in %.1fs (retry %s, %.1fs spent so far)",
        f"{what} to {subject}" if subject else what,
        type(details.caused_by).__name__,
        details.caused_by,
        details.wait_for,
        details.retry_num,
        details.waited_so_far,
    )
