"""The impact resolver: for each window change, who is affected."""

from __future__ import annotations

import asyncio
import logging

from faststream.nats import NatsBroker
from sqlalchemy import Engine

from forewarn.schemas import msgids, subjects
from forewarn.schemas.base import utcnow
from forewarn.schemas.impact import ImpactCause
from forewarn.schemas.inventory import InventoryChanged
from forewarn.schemas.timers import DriftCheckDue
from forewarn.schemas.windows import WindowView

from ..bus import jetstream, timers
from ..bus.publish import Outgoing, publish_all
from ..bus.retention import past_window
from ..platform.logs import about
from ..platform.registry import Service
from . import drift
from .resolve import ImpactMessage, encode_impact, resolve_impact
from .settings import ImpactSettings

log = logging.getLogger("forewarn.impact")
# The changes to the plan that tell every affected tenant: drift starts from the set they were told.
TOLD_EVERYONE = {ImpactCause.SCHEDULED, ImpactCause.RESCHEDULED, ImpactCause.EXTENDED}


class ImpactResolver(Service):
    """Holds the resolver's resources; built once at start-up."""

    def __init__(self, settings: ImpactSettings, engine: Engine, broker: NatsBroker) -> None:
        self.settings = settings
        self.engine = engine
        self.broker = broker

    async def resolve(self, window: WindowView, cause: ImpactCause) -> list[ImpactMessage]:
        """Resolve and publish ImpactResolved for this window revision."""
        with about(window_id=window.id):
            return await self._resolve(window, cause)

    async def _resolve(self, window: WindowView, cause: ImpactCause) -> list[ImpactMessage]:
        results = await asyncio.to_thread(
            resolve_impact,
            self.engine,
            window,
            cause,
            max_bytes=jetstream.max_payload(self.broker),
            max_tenants=self.settings.impact_part_tenants,
        )
        await self._publish(window, cause, results)
        if cause in TOLD_EVERYONE:
            told = {t for r in results for t in r.tenant_ids}
            await asyncio.to_thread(drift.record, self.engine, window, told)
        else:
            await asyncio.to_thread(drift.forget, self.engine, window.id)
        first = results[0]
        log.info(
            "window %s r%s (%s): %s tenants, %s resources, in %s part(s)",
            window.id,
            window.revision,
            cause,
            first.tenant_count,
            first.resource_count,
            len(results),
        )
        return results

    async def watch(self, changed: InventoryChanged) -> None:
        """The inventory changed on some hosts: check the scheduled windows on them, once per time slot."""
        windows = await asyncio.to_thread(drift.windows_on, self.engine, changed.hosts)
        number, at = drift.slot(utcnow(), self.settings.drift_debounce)
        for window_id, revision in windows:
            body = DriftCheckDue(window_id=window_id, revision=revision).model_dump_json().encode()
            out = Outgoing(
                subjects.drift_timer(window_id),
                msgids.drift_check(window_id, revision, number),
                body,
                ttl=self.settings.retention,
            )
            await timers.set_timer(
                self.broker,
                out,
                at=at,
                target=subjects.drift_due(window_id),
                timeout=self.settings.publish_timeout,
            )

    async def check(self, due: DriftCheckDue) -> None:
        """Tell the tenants who joined or left a scheduled window, and only them."""
        with about(window_id=due.window_id):
            found = await asyncio.to_thread(drift.compare, self.engine, due.window_id)
            if found is None:
                return
            window = found.window
            results = encode_impact(
                window,
                ImpactCause.DRIFTED,
                found.found,
                found.joined,
                max_bytes=jetstream.max_payload(self.broker),
                max_tenants=self.settings.impact_part_tenants,
                drift=found.drift,
                left=found.left,
            )
            # Published before it is settled: a crash in between compares again, finds
            # the same drift under the same number, and the server drops the repeat.
            await self._publish(window, ImpactCause.DRIFTED, results, drift=found.drift)
            await asyncio.to_thread(drift.settle, self.engine, found)
            log.info(
                "window %s r%s drift %s: %s joined, %s left",
                window.id,
                window.revision,
                found.drift,
                len(found.joined),
                len(found.left),
            )

    async def _publish(
        self, window: WindowView, cause: ImpactCause, results: list[ImpactMessage], *, drift: int = 0
    ) -> None:
        outgoing = [
            Outgoing(
                subjects.IMPACT_RESOLVED,
                msgids.impact(window.id, window.revision, cause.value, r.part, r.parts, drift),
                r.body,
                ttl=past_window(window.end, self.settings.retention),
            )
            for r in results
        ]
        await publish_all(self.broker, outgoing, timeout=self.settings.publish_timeout)
