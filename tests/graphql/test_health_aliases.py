"""The public ``health`` field pings the database once per request, however often it is
aliased: fifteen aliases must not make one anonymous request fifteen database round trips."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import httpx
from fastapi import FastAPI
from sqlalchemy import event

from identity.runtime import Runtime

ALIASES = 15


@contextmanager
def pings(app: FastAPI) -> Iterator[list[str]]:
    """The ``SELECT 1`` statements the database receives meanwhile."""
    engine = cast(Runtime, app.state.runtime).database.engine.sync_engine
    seen: list[str] = []

    def record(*args: Any) -> None:
        statement = str(args[2])
        if statement.strip().upper() == "SELECT 1":
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def aliased_health(count: int) -> str:
    return "{ " + " ".join(f"h{n}: health {{ status }}" for n in range(count)) + " }"


async def test_fifteen_aliases_of_health_ping_the_database_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    with pings(app) as seen:
        response = await client.post("/graphql", json={"query": aliased_health(ALIASES)})

    data = response.json()["data"]
    assert len(data) == ALIASES
    assert {one["status"] for one in data.values()} == {"HEALTHY"}
    assert len(seen) == 1


async def test_each_request_checks_afresh(app: FastAPI, client: httpx.AsyncClient) -> None:
    with pings(app) as seen:
        for _ in range(2):
            await client.post("/graphql", json={"query": aliased_health(2)})

    assert len(seen) == 2
