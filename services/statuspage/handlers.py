"""The status page's subscription, as the AsyncAPI document shows it.

The page follows the view with nats-py itself (StatusPage.follow), not with a
FastStream subscriber: a projection needs no decoding, acks or retries, and
FastStream's handling costs about 0.5 ms a message against nats-py's 15 µs,
which made a cold start over a month of the stream take a minute.
"""

from __future__ import annotations

from faststream.nats import NatsBroker, NatsMessage

from forewarn.schemas import subjects

from ..bus.stream import stream

# What the page reads of the view: everything else (notice outcomes above all) stays on the server.
FOLLOWED = (subjects.WINDOW_EVENTS, subjects.IMPACT, subjects.REPLIES)
_TITLES = {
    subjects.WINDOW_EVENTS: "StatusPageLifecycle",
    subjects.IMPACT: "StatusPageImpact",
    subjects.REPLIES: "StatusPageReplies",
}


def document_status_page(broker: NatsBroker) -> None:
    """Declare the page's subscription on a broker that only describes the system."""
    for subject in FOLLOWED:

        @broker.subscriber(
            subject,
            stream=stream(subjects.VIEW_STREAM),
            title=_TITLES[subject],
            description="An ordered consumer of the view, from where the page's snapshot ends, "
            "into the public status page's view.",
        )
        async def project_onto_status_page(msg: NatsMessage) -> None:  # pragma: no cover - never runs
            raise RuntimeError("documentation only")
