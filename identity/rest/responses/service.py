"""Answers of the service's own routes: front page, health, well-known documents."""

from __future__ import annotations

from typing import Any, NotRequired

from typing_extensions import TypedDict


class RootOut(TypedDict):
    service: str
    name: str
    description: str
    version: str
    environment: str
    links: dict[str, str]


class DependenciesOut(TypedDict):
    database: str
    redis: str  # connected, disconnected (counting in memory meanwhile) or not_configured


class HealthOut(TypedDict):
    """Also the body of a 503, when the database does not answer."""

    status: str
    service: str
    version: str
    environment: str
    uptime: str
    uptime_seconds: float
    timestamp: str
    dependencies: DependenciesOut
    error: NotRequired[str]


class PoolOut(TypedDict):
    active: int
    idle: int
    total: int
    size: int
    overflow: int


class DatabaseCheckOut(TypedDict):
    status: str
    backend: str
    response_time_ms: float | None
    connection_pool: PoolOut
    error: NotRequired[str]


class DiskOut(TypedDict):
    status: str
    free_gb: float
    total_gb: float
    usage_percent: float


class MemoryOut(TypedDict):
    status: str
    free_mb: float
    total_mb: float
    usage_percent: float
    process_rss_mb: float


class RateLimitsOut(TypedDict):
    status: str
    counters: str  # memory, connected (Redis) or unreachable


class ChecksOut(TypedDict):
    database: DatabaseCheckOut
    disk_space: DiskOut
    rate_limits: RateLimitsOut
    memory: MemoryOut


class DetailedHealthOut(TypedDict):
    status: str
    service: str
    version: str
    environment: str
    uptime_seconds: float
    timestamp: str
    checks: ChecksOut


class JwksOut(TypedDict):
    """RFC 7517: the public keys, each a JWK."""

    keys: list[dict[str, Any]]


class OpenIdConfigurationOut(TypedDict):
    issuer: str
    jwks_uri: str
    id_token_signing_alg_values_supported: list[str]
    token_endpoint: str
    grant_types_supported: list[str]
