"""Fixtures: one PostgreSQL cluster per run, a clean database per test, the app over HTTP."""

from __future__ import annotations

import asyncio
import itertools
import shutil
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from identity.app import create_app
from identity.config import Settings
from identity.db import Database
from identity.migrate import upgrade
from tests.support.postgres import PostgresCluster

TEMPLATE_DATABASE = "identity_template"
_database_numbers = itertools.count()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    cluster.start()
    yield cluster
    cluster.destroy()


async def _migrate(url: str) -> None:
    database = Database(Settings(env="test", database_url=url))
    try:
        await upgrade(database)
    finally:
        await database.dispose()


def run_in_thread(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine on a loop of its own, away from the tests' session loop."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="session")
def postgres_template(postgres: PostgresCluster) -> str:
    postgres.sql(f"CREATE DATABASE {TEMPLATE_DATABASE}")
    run_in_thread(_migrate(postgres.url(TEMPLATE_DATABASE)))
    return TEMPLATE_DATABASE


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "identity.db"
    run_in_thread(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database of its own for each test."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "identity.db"
        shutil.copyfile(template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    template_name: str = request.getfixturevalue("postgres_template")
    name = f"test_{next(_database_numbers)}"
    cluster.clone(name, template_name)
    yield cluster.url(name)
    cluster.drop_later(name)


@pytest.fixture
def make_settings(database_url: str) -> Callable[..., Settings]:
    def make(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "env": "test",
            "database_url": database_url,
            "auto_migrate": False,
            # Limits are on only in the tests about them (tests/ratelimit).
            "rate_limits_enabled": False,
        }
        if overrides.get("env") != "production":  # which refuses it
            # Argon2id at its cheapest (~1 ms a hash, not ~35): what a test proves about a
            # password does not depend on the cost; tests/security/test_passwords.py checks
            # the default cost, and the serve tests run the server with it.
            values.update(password_time_cost=1, password_memory_kib=1024)
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]

    return make


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


async def open_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async for opened in open_client(app):
        yield opened
