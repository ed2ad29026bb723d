"""Query fields about the service itself."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from identity import __version__
from schema.context import Context
from schema.declare import PUBLIC, query
from schema.types.health import Health


@strawberry.type
class HealthQuery:
    @query(
        "The service's health, as `GET /health` reports it, checked once per request.",
        access=PUBLIC,
    )
    async def health(self, info: Info[Context, None]) -> Health:
        runtime = info.context.runtime
        report = await info.context.health()
        return Health.from_report(
            report, version=__version__, environment=runtime.settings.env.value
        )
