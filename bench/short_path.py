"""What the GraphQL short path buys: CPU per request with it on and off, in the same run.

Seeds the same 10,000 users as ``bench.users`` into a throwaway PostgreSQL, builds two apps
in this process on that database, one with ``IDENTITY_GRAPHQL_SHORT_PATH`` on and one with
it off, and drives both through ASGI (no HTTP server), batches alternating between them so
drift hits both alike. Per query it prints this process's CPU per request (best and median
of the batches) on and off, the share of the CPU that the short path saves, and how many
objects the short path completed per request. Answers must be equal with it on and off.

    .venv/bin/python -m bench.short_path [--requests 20] [--batches 7] [--users 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from fastapi import FastAPI

from bench.users import ADMIN_EMAIL, ADMIN_PASSWORD, GRAPHQL_PAGE, seeded
from identity.app import create_app, tune_garbage_collection
from identity.config import Settings
from schema.short_path import counts

QUERIES = {
    "users(first: 100) with roles and permissions": GRAPHQL_PAGE,
    "me { id email } (make bench)": "{ me { id email } }",
    "me with roles and permissions": "{ me { id email firstName lastName role status "
    "roles { name permissions { name } } permissions } }",
}


@asynccontextmanager
async def client_of(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            yield client


async def cpu_per_request(
    client: httpx.AsyncClient, query: str, headers: dict[str, str], requests: int
) -> float:
    """This process's CPU per request, in milliseconds, over one batch."""
    started = time.process_time()
    for _ in range(requests):
        response = await client.post("/graphql", json={"query": query}, headers=headers)
    elapsed = time.process_time() - started
    response.raise_for_status()
    return elapsed / requests * 1000


async def drive(args: argparse.Namespace, env: dict[str, str]) -> None:
    os.environ.update(env)
    apps = {"on": create_app(Settings()), "off": create_app(Settings(graphql_short_path=False))}
    tune_garbage_collection()
    async with AsyncExitStack() as stack:
        clients = {
            name: await stack.enter_async_context(client_of(app)) for name, app in apps.items()
        }
        login = await clients["on"].post(
            "/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        for name, query in QUERIES.items():
            if args.only and args.only not in name:
                continue
            answers = {}
            for mode, client in clients.items():
                for _ in range(5):
                    response = await client.post("/graphql", json={"query": query}, headers=headers)
                answers[mode] = response.json()
            assert "errors" not in answers["on"], answers["on"]
            assert answers["on"] == answers["off"], f"{name}: answers differ"
            counts.reset()
            await clients["on"].post("/graphql", json={"query": query}, headers=headers)
            objects, handed_back = counts.objects, counts.handed_back
            cpu: dict[str, list[float]] = {"on": [], "off": []}
            for _ in range(args.batches):
                for mode, client in clients.items():
                    cpu[mode].append(await cpu_per_request(client, query, headers, args.requests))
            on, off = statistics.median(cpu["on"]), statistics.median(cpu["off"])
            print(
                f"{name}:\n"
                f"  short path on:  CPU best {min(cpu['on']):.2f} ms/request, median {on:.2f}\n"
                f"  short path off: CPU best {min(cpu['off']):.2f} ms/request, median {off:.2f}\n"
                f"  off/on {off / on:.2f}x; the short path saves {(off - on) / off:.0%} of the "
                f"CPU with it off (medians; {args.batches} batches of {args.requests} each); "
                f"{objects} objects by the short path, {handed_back} values handed back"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20, help="requests per batch")
    parser.add_argument("--batches", type=int, default=7)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--only", default="", help="run the queries whose name has this")
    args = parser.parse_args()
    with seeded(args.users) as (_, env):
        asyncio.run(drive(args, env))


if __name__ == "__main__":
    main()
