"""Health endpoints of seeds 000, 001 and 004, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import subprocess

import httpx
import pytest

from identity.app import create_app
from identity.config import Settings
from tests.conftest import open_client
from tests.support.postgres import PostgresCluster


@pytest.mark.parametrize("path", ["/health", "/api/v1/health"])
async def test_health_reports_service_and_database(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert body["service"] == "identity"
    assert body["environment"] == "test"
    assert body["dependencies"] == {"database": "connected", "redis": "not_configured"}
    assert body["uptime_seconds"] >= 0
    assert body["timestamp"].endswith("Z")
    assert body["version"]


@pytest.mark.parametrize("path", ["/health/detailed", "/api/v1/health/detailed"])
async def test_detailed_health_reports_each_check(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 200
    checks = response.json()["checks"]
    assert checks["database"]["status"] == "healthy"
    assert checks["database"]["response_time_ms"] >= 0
    assert set(checks["database"]["connection_pool"]) >= {"active", "idle", "total"}
    assert checks["disk_space"]["total_gb"] > 0
    assert 0 <= checks["disk_space"]["usage_percent"] <= 100
    assert checks["memory"]["total_mb"] > 0


async def test_health_is_503_while_postgres_is_down_and_recovers_without_restart() -> None:
    """Given a dedicated cluster, when it stops, /health says so; when it returns, so does 200."""
    cluster = PostgresCluster()
    cluster.start()
    try:
        settings = Settings(
            env="test", database_url=cluster.url(), db_connect_timeout=1, health_timeout=2
        )
        async for client in open_client(create_app(settings)):
            assert (await client.get("/health")).status_code == 200

            await asyncio.to_thread(cluster.stop)
            down = await client.get("/health")
            detailed = await client.get("/health/detailed")

            await asyncio.to_thread(cluster.start)
            up = await client.get("/health")

        assert down.status_code == 503
        assert down.json()["status"] == "unhealthy"
        assert down.json()["dependencies"]["database"] == "disconnected"
        assert down.json()["error"]
        assert detailed.status_code == 503
        assert detailed.json()["checks"]["database"]["status"] == "unhealthy"
        assert up.status_code == 200
        assert up.json()["dependencies"]["database"] == "connected"
    finally:
        try:
            cluster.destroy()
        except subprocess.CalledProcessError:
            pass


async def test_graphql_health_matches_rest(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ health { status database databaseResponseTimeMs } }"}
    )

    health = response.json()["data"]["health"]
    assert health["status"] == "HEALTHY"
    assert health["database"] == "HEALTHY"
    assert health["databaseResponseTimeMs"] >= 0
