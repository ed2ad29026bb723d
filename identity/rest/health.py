"""Health endpoints of seeds 000, 001, 003 and 004, at their root and ``/api/v1`` paths."""

from __future__ import annotations

from typing import Any

from fastapi import Depends
from fastapi.responses import JSONResponse

from identity import SERVICE_NAME, __version__
from identity.clock import isoformat_z
from identity.ratelimit import Backend
from identity.rest.deps import RuntimeDep
from identity.rest.operator import require_operator
from identity.rest.responses.service import DetailedHealthOut, HealthOut
from identity.rest.routing import row
from identity.services import health as health_service
from identity.services.health import DatabaseCheck, Status

# Seed 001's "redis": "connected"; without Redis the limits are counted in this process.
REDIS_STATES = {
    Backend.CONNECTED: "connected",
    Backend.UNREACHABLE: "disconnected",
    Backend.MEMORY: "not_configured",
}


def _status_code(status: Status) -> int:
    return 503 if status is Status.UNHEALTHY else 200


def _database_json(check: DatabaseCheck) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": check.status.value,
        "backend": check.backend,
        "response_time_ms": check.response_time_ms,
        "connection_pool": {
            "active": check.pool.active,
            "idle": check.pool.idle,
            "total": check.pool.total,
            "size": check.pool.size,
            "overflow": check.pool.overflow,
        },
    }
    if check.error:
        body["error"] = check.error
    return body


async def health(runtime: RuntimeDep) -> JSONResponse:
    report = await health_service.health(
        database=runtime.database,
        limiter=runtime.limiter,
        limit_seconds=runtime.settings.health_timeout,
        now=runtime.clock.now(),
        uptime_seconds=runtime.uptime_seconds(),
    )
    body: dict[str, Any] = {
        "status": report.status.value,
        "service": SERVICE_NAME,
        "version": __version__,
        "environment": runtime.settings.env.value,
        "uptime": str(int(report.uptime_seconds)),
        "uptime_seconds": report.uptime_seconds,
        "timestamp": isoformat_z(report.checked_at),
        "dependencies": {
            "database": "connected" if report.database.connected else "disconnected",
            "redis": REDIS_STATES[report.rate_limits.backend],
        },
    }
    if report.database.error:
        body["error"] = report.database.error
    return JSONResponse(body, status_code=_status_code(report.status))


_OPERATOR_ONLY = (
    "Needs `Authorization: Bearer <IDENTITY_METRICS_TOKEN>` when that is set; "
    "in production without it, 404."
)


async def health_detailed(runtime: RuntimeDep) -> JSONResponse:
    report = await health_service.detailed_health(
        database=runtime.database,
        limiter=runtime.limiter,
        limit_seconds=runtime.settings.health_timeout,
        now=runtime.clock.now(),
        uptime_seconds=runtime.uptime_seconds(),
        data_dir=runtime.data_dir(),
    )
    body = {
        "status": report.status.value,
        "service": SERVICE_NAME,
        "version": __version__,
        "environment": runtime.settings.env.value,
        "uptime_seconds": report.uptime_seconds,
        "timestamp": isoformat_z(report.checked_at),
        "checks": {
            "database": _database_json(report.database),
            "disk_space": {
                "status": report.disk.status.value,
                "free_gb": report.disk.free_gb,
                "total_gb": report.disk.total_gb,
                "usage_percent": report.disk.usage_percent,
            },
            "rate_limits": {
                "status": report.rate_limits.status.value,
                "counters": report.rate_limits.backend.value,
            },
            "memory": {
                "status": report.memory.status.value,
                "free_mb": report.memory.free_mb,
                "total_mb": report.memory.total_mb,
                "usage_percent": report.memory.usage_percent,
                "process_rss_mb": report.memory.process_rss_mb,
            },
        },
    }
    return JSONResponse(body, status_code=_status_code(report.status))


OPERATOR: dict[str, Any] = {
    "description": _OPERATOR_ONLY,
    "dependencies": [Depends(require_operator)],
}
DETAILED = "Health of every dependency"

ROUTES = (
    row("GET", "/health", health, "Health check", seeds="001 003 004", response=HealthOut),
    row("GET", "/api/v1/health", health, "Health check", seeds="000", response=HealthOut),
    row(
        "GET",
        "/health/detailed",
        health_detailed,
        DETAILED,
        seeds="own",
        response=DetailedHealthOut,
        **OPERATOR,
    ),
    row(
        "GET",
        "/api/v1/health/detailed",
        health_detailed,
        DETAILED,
        seeds="000",
        response=DetailedHealthOut,
        **OPERATOR,
    ),
)
