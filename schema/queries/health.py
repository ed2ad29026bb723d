"""Query fields about the service itself."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from identity import __version__
from identity.services import health as health_service
from schema.context import Context
from schema.types.health import Health


@strawberry.type
class HealthQuery:
    @strawberry.field(description="The service's health, as `GET /health` reports it. Public.")
    async def health(self, info: Info[Context, None]) -> Health:
        runtime = info.context.runtime
        report = await health_service.health(
            database=runtime.database,
            limit_seconds=runtime.settings.health_timeout,
            now=runtime.clock.now(),
            uptime_seconds=runtime.uptime_seconds(),
        )
        return Health.from_report(
            report, version=__version__, environment=runtime.settings.env.value
        )
