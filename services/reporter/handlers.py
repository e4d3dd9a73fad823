"""The reporter's subscriber."""

from __future__ import annotations

from collections.abc import Callable

from faststream.nats import NatsMessage, NatsRouter

from forewarn.schemas import subjects
from forewarn.schemas.answers import ReplyReceived
from forewarn.schemas.commands import RecordAnswerResult
from forewarn.schemas.impact import ImpactResolved

from ..bus.stream import durable
from .service import Reporter


def reporter_router(get: Callable[[], Reporter], *, workers: int = 1) -> NatsRouter:
    """Subscribers that report on every window that ended, and record tenants' answers."""
    router = NatsRouter()

    @router.subscriber(subjects.IMPACT_RESOLVED, **durable("reporter", subjects.STREAM, workers=workers))
    async def report_ended_windows(impact: ImpactResolved) -> None:
        await get().on_impact(impact)

    @router.subscriber(subjects.REPLY_RECEIVED, **durable("reporter-replies", subjects.STREAM))
    async def record_tenants_answers(reply: ReplyReceived) -> None:
        await get().on_reply(reply)

    # A request, not a stream: a reporter that is down leaves the status page to say "try again".
    @router.subscriber(subjects.RECORD_ANSWER, queue="reporter-answers")
    async def record_answers_from_links(msg: NatsMessage) -> RecordAnswerResult:
        return await get().record_answer(msg.body)

    return router
