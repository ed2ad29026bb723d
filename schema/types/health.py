"""GraphQL types for the service's health."""

from __future__ import annotations

from enum import Enum

import strawberry

from identity.services.health import HealthReport
from identity.services.health import Status as DomainStatus


@strawberry.enum(description="How well a component works.")
class HealthStatus(Enum):
    HEALTHY = strawberry.enum_value(DomainStatus.HEALTHY.value, description="Working.")
    DEGRADED = strawberry.enum_value(
        DomainStatus.DEGRADED.value, description="Working, close to a limit."
    )
    UNHEALTHY = strawberry.enum_value(DomainStatus.UNHEALTHY.value, description="Not working.")


@strawberry.type(description="The service's health and the database it depends on.")
class Health:
    status: HealthStatus = strawberry.field(description="Overall status.")
    version: str = strawberry.field(description="The running version of identity.")
    environment: str = strawberry.field(description="development, test or production.")
    uptime_seconds: float = strawberry.field(description="Seconds since this process started.")
    database: HealthStatus = strawberry.field(description="Whether the database answers.")
    database_response_time_ms: float | None = strawberry.field(
        description="Round trip of a trivial query, in milliseconds; null when it failed."
    )

    @classmethod
    def from_report(cls, report: HealthReport, *, version: str, environment: str) -> Health:
        return cls(
            status=HealthStatus(report.status.value),
            version=version,
            environment=environment,
            uptime_seconds=report.uptime_seconds,
            database=HealthStatus(report.database.status.value),
            database_response_time_ms=report.database.response_time_ms,
        )
