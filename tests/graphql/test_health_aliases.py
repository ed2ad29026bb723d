"""The public ``health`` field pings the database once per request, however often it is
aliased: fifteen aliases must not make one anonymous request fifteen database round trips."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.support.statements import counting

ALIASES = 15


def aliased_health(count: int) -> str:
    return "{ " + " ".join(f"h{n}: health {{ status }}" for n in range(count)) + " }"


async def test_fifteen_aliases_of_health_ping_the_database_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    with counting(app) as counter:
        response = await client.post("/graphql", json={"query": aliased_health(ALIASES)})

    data = response.json()["data"]
    assert len(data) == ALIASES
    assert {one["status"] for one in data.values()} == {"HEALTHY"}
    assert len(counter.pings) == 1


async def test_each_request_checks_afresh(app: FastAPI, client: httpx.AsyncClient) -> None:
    with counting(app) as counter:
        for _ in range(2):
            await client.post("/graphql", json={"query": aliased_health(2)})

    assert len(counter.pings) == 2
