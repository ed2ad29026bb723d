from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from identity.config import Settings
from tests.conftest import open_client
from tests.support.redis import RedisServer

Limited = Callable[..., Awaitable[tuple[httpx.AsyncClient, FastAPI]]]


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.destroy()


@pytest.fixture
async def limited(make_settings: Callable[..., Settings]) -> AsyncIterator[Limited]:
    """Apps with rate limits on (``rate_limits_enabled`` may turn them off again) and the
    given settings, each with a client; their lifespans end with the test."""
    opened: list[AsyncIterator[httpx.AsyncClient]] = []

    async def make(**settings: Any) -> tuple[httpx.AsyncClient, FastAPI]:
        from identity.app import create_app

        app = create_app(make_settings(**{"rate_limits_enabled": True, **settings}))
        iterator = open_client(app)
        opened.append(iterator)
        return await anext(iterator), app

    yield make
    for iterator in opened:  # run each to its end, so the app's lifespan ends normally
        async for _ in iterator:
            pass
