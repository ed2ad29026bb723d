"""Health of the service and its dependencies, as the load balancer and operators see it."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from identity.db import Database, PoolStatus
from identity.ratelimit import Backend, Limiter

log = logging.getLogger(__name__)

DISK_WARNING_PERCENT = 90.0
MEMORY_WARNING_PERCENT = 90.0
GIB = 1024**3
MIB = 1024**2


class Status(StrEnum):
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"


@dataclass(frozen=True, slots=True)
class DatabaseCheck:
    status: Status
    backend: str
    response_time_ms: float | None
    pool: PoolStatus
    error: str | None = None

    @property
    def connected(self) -> bool:
        return self.status is Status.HEALTHY


@dataclass(frozen=True, slots=True)
class DiskCheck:
    status: Status
    free_gb: float
    total_gb: float
    usage_percent: float


@dataclass(frozen=True, slots=True)
class MemoryCheck:
    status: Status
    free_mb: float
    total_mb: float
    usage_percent: float
    process_rss_mb: float


@dataclass(frozen=True, slots=True)
class RateLimitCheck:
    """Where rate-limit counters live; Redis unreachable degrades (limits become per process)."""

    status: Status
    backend: Backend


@dataclass(frozen=True, slots=True)
class HealthReport:
    status: Status
    database: DatabaseCheck
    checked_at: datetime
    uptime_seconds: float
    rate_limits: RateLimitCheck


@dataclass(frozen=True, slots=True)
class DetailedHealthReport:
    status: Status
    database: DatabaseCheck
    disk: DiskCheck
    memory: MemoryCheck
    checked_at: datetime
    uptime_seconds: float
    rate_limits: RateLimitCheck


async def check_database(*, database: Database, limit_seconds: float) -> DatabaseCheck:
    backend = "sqlite" if database.is_sqlite else "postgresql"
    try:
        elapsed = await database.ping(limit_seconds)
    except TimeoutError:
        log.warning("database health check timed out after %.1fs", limit_seconds)
        return DatabaseCheck(
            Status.UNHEALTHY, backend, None, database.pool_status(), "Database did not answer"
        )
    except Exception as exc:
        log.warning("database health check failed: %s", type(exc).__name__)
        return DatabaseCheck(
            Status.UNHEALTHY, backend, None, database.pool_status(), "Database connection failed"
        )
    return DatabaseCheck(Status.HEALTHY, backend, round(elapsed, 2), database.pool_status())


def check_disk(path: Path) -> DiskCheck:
    usage = shutil.disk_usage(path)
    percent = round(usage.used / usage.total * 100, 1) if usage.total else 0.0
    status = Status.DEGRADED if percent >= DISK_WARNING_PERCENT else Status.HEALTHY
    return DiskCheck(status, round(usage.free / GIB, 1), round(usage.total / GIB, 1), percent)


def check_memory() -> MemoryCheck:
    import psutil  # only the detailed check reads it: ~0.7 MB not loaded before then

    memory = psutil.virtual_memory()
    rss = psutil.Process().memory_info().rss
    status = Status.DEGRADED if memory.percent >= MEMORY_WARNING_PERCENT else Status.HEALTHY
    return MemoryCheck(
        status,
        round(memory.available / MIB, 1),
        round(memory.total / MIB, 1),
        round(memory.percent, 1),
        round(rss / MIB, 1),
    )


async def check_rate_limits(limiter: Limiter) -> RateLimitCheck:
    backend = await limiter.check()
    return RateLimitCheck(
        Status.DEGRADED if backend is Backend.UNREACHABLE else Status.HEALTHY, backend
    )


def _overall(*statuses: Status) -> Status:
    if Status.UNHEALTHY in statuses:
        return Status.UNHEALTHY
    if Status.DEGRADED in statuses:
        return Status.DEGRADED
    return Status.HEALTHY


async def health(
    *,
    database: Database,
    limiter: Limiter,
    limit_seconds: float,
    now: datetime,
    uptime_seconds: float,
) -> HealthReport:
    db = await check_database(database=database, limit_seconds=limit_seconds)
    limits = await check_rate_limits(limiter)
    return HealthReport(_overall(db.status, limits.status), db, now, uptime_seconds, limits)


async def detailed_health(
    *,
    database: Database,
    limiter: Limiter,
    limit_seconds: float,
    now: datetime,
    uptime_seconds: float,
    data_dir: Path,
) -> DetailedHealthReport:
    db = await check_database(database=database, limit_seconds=limit_seconds)
    disk = check_disk(data_dir)
    memory = check_memory()
    limits = await check_rate_limits(limiter)
    overall = _overall(db.status, disk.status, memory.status, limits.status)
    return DetailedHealthReport(overall, db, disk, memory, now, uptime_seconds, limits)
