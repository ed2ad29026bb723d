"""/health names Redis (seed 001's "redis"); losing it degrades the service, it does not stop it."""

from __future__ import annotations

from collections.abc import Callable

from identity.config import Settings
from tests.conftest import open_client
from tests.support.redis import RedisServer

GRAPHQL = {"query": "{ health { status rateLimitCounters } }"}


async def test_redis_going_away_and_coming_back(make_settings: Callable[..., Settings]) -> None:
    from identity.app import create_app

    server = RedisServer()
    server.start()
    app = create_app(make_settings(rate_limits_enabled=True, redis_url=server.url))
    try:
        async for client in open_client(app):
            up = (await client.get("/health")).json()
            assert up["status"] == "healthy"
            assert up["dependencies"] == {"database": "connected", "redis": "connected"}
            server.stop()
            down = await client.get("/health")
            assert down.status_code == 200
            assert down.json()["status"] == "degraded"
            assert down.json()["dependencies"]["redis"] == "disconnected"
            graphql = (await client.post("/graphql", json=GRAPHQL)).json()["data"]["health"]
            assert graphql == {"status": "DEGRADED", "rateLimitCounters": "unreachable"}
            assert (
                'identity_rate_limit_backend{state="unreachable"} 1.0'
                in (await client.get("/metrics")).text
            )
            detailed = (await client.get("/health/detailed")).json()["checks"]["rate_limits"]
            assert detailed == {"status": "degraded", "counters": "unreachable"}
            server.start()
            back = (await client.get("/health")).json()
            assert back["dependencies"]["redis"] == "connected"
            assert back["status"] == "healthy"
    finally:
        server.destroy()


async def test_without_redis_it_is_not_configured(make_settings: Callable[..., Settings]) -> None:
    from identity.app import create_app

    async for client in open_client(create_app(make_settings())):
        body = (await client.get("/health")).json()
        assert body["dependencies"]["redis"] == "not_configured"
        assert body["status"] == "healthy"
