"""GraphQL types for the service's health."""

from __future__ import annotations

import strawberry

from identity.services.health import HealthReport, Status
from schema.enums import graphql_enum

graphql_enum(
    Status,
    name="HealthStatus",
    description="How well a component works.",
    values={
        Status.HEALTHY: "Working.",
        Status.DEGRADED: "Working, close to a limit.",
        Status.UNHEALTHY: "Not working.",
    },
)


@strawberry.type(description="The service's health and the database it depends on.")
class Health:
    status: Status = strawberry.field(description="Overall status.")
    version: str = strawberry.field(description="The running version of identity.")
    environment: str = strawberry.field(description="development, test or production.")
    uptime_seconds: float = strawberry.field(description="Seconds since this process started.")
    database: Status = strawberry.field(description="Whether the database answers.")
    database_response_time_ms: float | None = strawberry.field(
        description="Round trip of a trivial query, in milliseconds; null when it failed."
    )
    rate_limit_counters: str = strawberry.field(
        description="Where rate-limit counters live: memory (one process), connected "
        "(Redis, shared by every replica) or unreachable (Redis down, counting in memory)."
    )

    @classmethod
    def from_report(cls, report: HealthReport, *, version: str, environment: str) -> Health:
        return cls(
            status=report.status,
            version=version,
            environment=environment,
            uptime_seconds=report.uptime_seconds,
            database=report.database.status,
            database_response_time_ms=report.database.response_time_ms,
            rate_limit_counters=report.rate_limits.backend.value,
        )
