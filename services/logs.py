"""Logging for the services: plain lines, without the framework's chatter."""

from __future__ import annotations

import logging


class _QuietSupervisor(logging.Filter):
    """FastStream logs every consumer task's end ("callback for Task-7 is being
    executed...") at INFO, ten lines on each stop; they tell an operator nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("callback for Task-")


def configure_logging(level: str) -> None:
    """Timestamped lines on stderr at the given level."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    handler.addFilter(_QuietSupervisor())
    logging.basicConfig(level=level.upper(), handlers=[handler])
