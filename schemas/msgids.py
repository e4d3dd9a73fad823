"""Every Nats-Msg-Id forewarn publishes with, built from the business key, in one place.

JetStream stores a message once per id within the duplicate window, so a
repeat of the same work (a redelivery, a retry, a second replica) publishes the
same id and stores nothing new. Each id names what the message is about and
which change of it: two different facts never share one.
"""

from __future__ import annotations


def event(window_id: str, revision: int, kind: str) -> str:
    """A lifecycle event: one per window revision and kind (`mw-….r2.rescheduled`)."""
    return f"{window_id}.r{revision}.{kind}"


def rejected(key: str) -> str:
    """A WindowRejected, keyed by the command (or the dead letter) it answers."""
    return f"rejected.{key}"


def timer(window_id: str, edge: str, revision: int) -> str:
    """The schedule of a window's start or end, as set by one revision."""
    return f"timer.{window_id}.{edge}.r{revision}"


def reminder(window_id: str, revision: int, lead: int | str, part: int, drift: int, impact_seq: int) -> str:
    """The schedule of one reminder of one part of a revision's impact (or of one of its drifts).

    It names the impact message it points at: the same message handled again
    leaves its schedule as it is, and a copy of it (a contact forgotten) moves it.
    """
    return (
        f"remind.{window_id}.r{revision}.{lead}.p{part}" + (f".d{drift}" if drift else "") + f".s{impact_seq}"
    )


def impact(window_id: str, revision: int, cause: str, part: int, parts: int, drift: int = 0) -> str:
    """One part of the impact of one revision, for the change that caused it (and which drift)."""
    return f"impact.{window_id}.r{revision}.{cause}" + (f"{drift}" if drift else "") + f".p{part}of{parts}"


def drift_check(window_id: str, revision: int, slot: int) -> str:
    """A drift check of a window, one per time slot: later changes in the slot share it."""
    return f"drift.{window_id}.r{revision}.s{slot}"


def inventory(source: str, key: str) -> str:
    """An InventoryChanged, keyed by what told it: a notification's message id, or a sync's run."""
    return f"inventory.{source}.{key}"


def notice(key: str) -> str:
    """The outcome of one notice, keyed by its ledger key."""
    return f"notice.{key}"


def reply(reply_id: str) -> str:
    """A tenant's answer, keyed by what it says: the same answer sent twice is stored once."""
    return f"reply.{reply_id}"


def webhook(delivery_id: str, replay: int = 0) -> str:
    """One webhook delivery, keyed by its webhook-id; a replay by the operator is a new message."""
    return f"webhook.{delivery_id}" + (f".replay{replay}" if replay else "")


def report(window_id: str) -> str:
    """The completion report of a window: one per window."""
    return f"report.{window_id}"


def dead_letter(consumer: str, letter_id: str) -> str:
    """A dead letter: one per consumer and message, however often it is recorded."""
    return f"dlq.{consumer}.{letter_id}"


def replay(letter_id: str) -> str:
    """A dead letter's original, published again by `forewarn dlq retry`."""
    return f"replay.{letter_id}"
