"""The impact resolver: for each window change, who is affected."""

from __future__ import annotations

import asyncio
import logging

from faststream.nats import NatsBroker
from sqlalchemy import Engine

from forewarn.schemas import msgids, subjects
from forewarn.schemas.events import ImpactCause, WindowView

from ..bus import jetstream
from ..bus.publish import Outgoing, publish_all
from ..logs import about
from .resolve import ImpactMessage, resolve_impact
from .settings import ImpactSettings

log = logging.getLogger("forewarn.impact")


class ImpactResolver:
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
        outgoing = [
            Outgoing(
                subjects.IMPACT_RESOLVED,
                msgids.impact(window.id, window.revision, cause.value, r.part, r.parts),
                r.body,
            )
            for r in results
        ]
        await publish_all(self.broker, outgoing, timeout=self.settings.publish_timeout)
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
