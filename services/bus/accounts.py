"""NATS users for forewarn: one per service, each allowed only the subjects it needs.

`forewarn nats-config` writes these into a nats-server configuration (natsconf.py).
Passwords never appear in it: each is a reference to an environment variable of
the nats-server process (FOREWARN_NATS_PASSWORD_<USER>), which the server
resolves when it starts.

The users live in two NATS accounts. The services are in FOREWARN, with the
streams. The logins people and the internet hold (the CLI, the status page) are
in FRONT, which has a mirror of MAINT of its own. The server answers a
JetStream request on whatever reply subject the asker names, and delivers a push
consumer's messages on whatever subject its maker names, without checking that
the asker may publish there; it does so only inside the asker's account. So
whatever a front login makes the server publish lands in FRONT, where no stream
captures anything, and reaches FOREWARN only through the few subjects FRONT
imports, each one a front login may write anyway.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from forewarn.schemas import subjects

from .readiness import BOOKING_PATH, READERS
from .stream import FRONT_API, SERVICES_API

SERVICES_ACCOUNT = "FOREWARN"
FRONT_ACCOUNT = "FRONT"

# Each service's durable consumers, by stream. A login may create, update, read
# and acknowledge these and no others: the consumer-management subjects name
# the stream and the consumer, so the server can check them (tests/security
# checks this list against the consumers the services really declare).
CONSUMERS: dict[str, dict[str, tuple[str, ...]]] = {
    "scheduler": {
        subjects.COMMAND_STREAM: (
            "scheduler-book",
            "scheduler-reschedule",
            "scheduler-extend",
            "scheduler-cancel",
            "scheduler-complete",
            "scheduler-progress",
            "scheduler-series",
        ),
        subjects.TIMER_STREAM: ("scheduler-due",),
        subjects.STREAM: ("scheduler-dead-letters",),
    },
    "impact": {
        subjects.STREAM: (
            "impact-scheduled",
            "impact-rescheduled",
            "impact-extended",
            "impact-cancelled",
            "impact-started",
            "impact-completed",
            "impact-progressed",
            "impact-drift",
        ),
        subjects.DRIFT_STREAM: ("impact-drift-due",),
    },
    "notifier": {
        subjects.STREAM: ("notifier",),
        subjects.REMINDER_STREAM: ("notifier-reminders",),
        subjects.WEBHOOK_STREAM: ("notifier-webhooks",),
    },
    "reporter": {subjects.STREAM: ("reporter", "reporter-replies")},
    "inventory": {subjects.STREAM: ("inventory-started", "inventory-completed", "inventory-cancelled")},
}
STREAMS = (*subjects.STREAM_SUBJECTS, subjects.VIEW_STREAM)
SERVICE_STREAMS = tuple(subjects.STREAM_SUBJECTS)


def inbox(name: str) -> str:
    """Every inbox of forewarn-NAME: its pull consumers deliver there, and answers come there."""
    return f"{subjects.inbox_prefix(f'forewarn-{name}')}.>"


# Every JetStream client looks up the streams of its account.
LOOK_UP = ("$JS.API.INFO", *(f"$JS.API.STREAM.INFO.{name}" for name in SERVICE_STREAMS))
FRONT_LOOK_UP = ("$JS.API.INFO", f"$JS.API.STREAM.INFO.{subjects.VIEW_STREAM}")
# Readers (the status page, `forewarn tail`, `forewarn dlq list`) follow the
# view with throw-away consumers named by the server. This subject would let a
# reader rename its consumer to any existing one's name and rewrite it, which
# is why readers get it only on the view, where no service keeps a durable.
# Asking how far behind its consumer is tells the status page when it is ready.
# Whatever consumer a reader makes, it delivers inside FRONT.
READ_VIEW = (
    f"$JS.API.CONSUMER.CREATE.{subjects.VIEW_STREAM}",
    f"$JS.API.CONSUMER.INFO.{subjects.VIEW_STREAM}.*",
    f"$JS.FC.{subjects.VIEW_STREAM}.>",  # flow control of its consumers on the view
)


def durables(service: str) -> tuple[str, ...]:
    """What managing and reading a service's own durable consumers takes."""
    allowed: list[str] = []
    for stream, names in CONSUMERS.get(service, {}).items():
        for name in names:
            allowed += [
                f"$JS.API.CONSUMER.CREATE.{stream}.{name}",
                f"$JS.API.CONSUMER.CREATE.{stream}.{name}.>",
                f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.{name}",
                f"$JS.API.CONSUMER.INFO.{stream}.{name}",
                f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{name}",
                f"$JS.ACK.{stream}.{name}.>",
                subjects.dead_letter(name),
            ]
    return tuple(allowed)


def read(*streams: str) -> tuple[str, ...]:
    """Reading one stored message by its sequence (a message a duplicate points at)."""
    return tuple(f"$JS.API.STREAM.MSG.GET.{name}" for name in streams)


@dataclass(frozen=True)
class User:
    """A NATS user: what it may publish to and subscribe to (its own inboxes always)."""

    name: str
    publish: tuple[str, ...]
    subscribe: tuple[str, ...] = ()
    why: str = ""
    # Whether it answers requests: it may then publish once onto each request's reply subject.
    responds: bool = False
    account: str = field(init=False)
    env: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "env", f"FOREWARN_NATS_PASSWORD_{self.name.upper()}")
        object.__setattr__(self, "account", FRONT_ACCOUNT if self.name in READERS else SERVICES_ACCOUNT)
        if self.subscribe != (">",):
            object.__setattr__(self, "subscribe", (inbox(self.name), *self.subscribe))

    @property
    def login(self) -> str:
        return f"forewarn-{self.name}"


def _service(name: str, *publish: str, why: str, listens: tuple[str, ...] = ()) -> User:
    return User(name, (*LOOK_UP, *durables(name), *publish), listens, why=why, responds=bool(listens))


USERS = (
    _service(
        "scheduler",
        *(f"$JS.API.STREAM.{verb}.{name}" for verb in ("CREATE", "UPDATE") for name in SERVICE_STREAMS),
        # The front's view, through what FRONT exports to FOREWARN (natsconf.py).
        *(f"{FRONT_API}.STREAM.{verb}.{subjects.VIEW_STREAM}" for verb in ("CREATE", "UPDATE", "INFO")),
        f"$JS.API.STREAM.PURGE.{subjects.TIMER_STREAM}",
        *read(*subjects.CONSUMED_STREAMS),
        subjects.WINDOW_EVENTS,
        *subjects.WINDOW_TIMERS,
        # Every consumer's give-ups become dead letters here (deadletters.py); a letter is only
        # a pointer, replayed from its source (`forewarn dlq retry`).
        subjects.DEAD_LETTERS,
        inbox("cli"),  # answers to the CLI's commands, and to nobody else
        why="declares the streams; the only publisher of lifecycle events; sets its timers",
    ),
    _service(
        "impact",
        subjects.IMPACT_RESOLVED,
        subjects.DRIFT_TIMERS,
        *read(subjects.STREAM, subjects.DRIFT_STREAM),
        why="publishes ImpactResolved and sets its drift checks",
    ),
    _service(
        "notifier",
        f"$JS.API.STREAM.PURGE.{subjects.REMINDER_STREAM}",
        *read(subjects.STREAM, subjects.REMINDER_STREAM, subjects.WEBHOOK_STREAM),
        subjects.NOTICE_DELIVERED,
        subjects.NOTICE_FAILED,
        subjects.REMINDER_TIMERS,
        subjects.WEBHOOKS,
        why="publishes notice outcomes, its reminder timers and webhook deliveries",
    ),
    _service(
        "reporter",
        *read(subjects.STREAM),
        subjects.NOTICE_DELIVERED,
        subjects.NOTICE_FAILED,
        subjects.REPORT_PUBLISHED,
        subjects.REPLY_RECEIVED,
        # The status page's requests to record an answer, answered where each asks.
        listens=(subjects.RECORD_ANSWER,),
        why="publishes completion notices' outcomes, reports, and the answers links record",
    ),
    User(
        "statuspage",
        (*FRONT_LOOK_UP, *READ_VIEW, *read(subjects.VIEW_STREAM), subjects.RECORD_ANSWER),
        why="reads the view of the stream; asks the reporter to record tenants' answers from its forms",
    ),
    _service(
        "inventory",
        *read(subjects.STREAM),
        subjects.INVENTORY_CHANGED,
        # What a cloud's notification bus carries that is not a notification.
        subjects.dead_letter("inventory-*"),
        why="publishes InventoryChanged from the clouds' notifications and syncs",
    ),
    _service(
        "replies",
        subjects.REPLY_RECEIVED,
        *read(subjects.STREAM),  # whether an answer published again is its own
        why="publishes the answers calendars send to the organizer's mailbox",
    ),
    User(
        "cli",
        # `forewarn wait`: whether the consumers a booking goes through exist and are pulled from.
        (
            *FRONT_LOOK_UP,
            *READ_VIEW,
            subjects.COMMANDS,
            *(f"{SERVICES_API}.CONSUMER.INFO.{s}.{n}" for s, n, _ in BOOKING_PATH),
        ),
        why="sends commands, reads their answers and the view",
    ),
)
# Operators replaying dead letters (`forewarn dlq retry`) or repairing by hand.
ADMIN = User("admin", (">",), (">",), why="operators: dead-letter replays and repairs")


def new_password() -> str:
    """A random password nats-server reads back intact from its environment.

    The server parses a referenced variable's value like configuration text: a
    value starting with a digit or holding punctuation can come back changed or
    refused. Letters and hex digits, starting with a letter, always survive.
    """
    return "fw" + secrets.token_hex(24)
