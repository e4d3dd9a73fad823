"""The impact resolver: for each window change, who is affected."""

from __future__ import annotations

import asyncio
import logging

from faststream.nats import NatsBroker
from pydantic import Field
from sqlalchemy import Engine

from forewarn.schemas import subjects
from forewarn.schemas.events import ImpactCause, WindowView

from ..bus.publish import Outgoing, publish_all
from ..bus.stream import MAX_PAYLOAD
from ..config import CommonSettings
from ..logs import about
from .resolve import ImpactMessage, resolve_impact

log = logging.getLogger("forewarn.impact")


class ImpactSettings(CommonSettings):
    """FOREWARN_* variables read by the impact resolver."""

    impact_part_tenants: int = Field(
        default=100,
        ge=1,
        le=10_000,
        description="Tenants per ImpactResolved message at most: a window's notices are split "
        "into parts this size, which the notifier processes share.",
    )


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
        server_max = self.broker._connection.max_payload if self.broker._connection else MAX_PAYLOAD
        results = await asyncio.to_thread(
            resolve_impact,
            self.engine,
            window,
            cause,
            max_bytes=min(server_max, MAX_PAYLOAD),
            max_tenants=self.settings.impact_part_tenants,
        )
        outgoing = [
            Outgoing(
                subjects.IMPACT_RESOLVED,
                f"impact.{window.id}.r{window.revision}.p{r.part}of{r.parts}",
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
