"""CPU per request of the hot authenticated routes, in process, against a bare Starlette route.

Builds the app on a throwaway PostgreSQL (or ``--sqlite``), signs a user in, and calls the
ASGI app directly (no HTTP server, no client library), so what is measured is this
process's CPU for the app alone: middleware, routing, authentication, the handler, the JSON.
Batches alternate between the scenarios so drift hits all alike; the bare Starlette JSON
route of ``bench.bare`` is the reference measured in the same run, and each scenario is
printed as a multiple of it, with the garbage collector's runs and pauses per 1,000
requests (a request that leaves reference cycles behind makes them frequent: the tail).
REST ``me`` is also served by a second app with rate limits on (in memory, budgets too
large to spend), for the limiter's share of a request. The database's own CPU is not in
the figure on PostgreSQL (a separate process); the driver's is.

    .venv/bin/python -m bench.hot_cpu [--requests 500] [--batches 7] [--sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from starlette.types import ASGIApp, Message

from bench import bare
from bench.run import PASSWORD
from identity.app import create_app, tune_garbage_collection
from identity.config import Settings
from identity.ratelimit import Budget
from tests.support.postgres import PostgresCluster

Call = Callable[[], Awaitable[int]]
UNSPENDABLE = {budget.value: "100000000/hour" for budget in Budget}
BARE = "bare Starlette JSON"
REST_ME = "REST /api/v1/auth/me"
REST_ME_LIMITED = "REST /api/v1/auth/me, rate limits on (memory)"
GRAPHQL_ME = "GraphQL { me { id email } }"


def asgi_call(app: ASGIApp, method: str, path: str, headers: dict[str, str], body: bytes) -> Call:
    raw_headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    if body:
        raw_headers.append((b"content-length", str(len(body)).encode()))

    async def call() -> int:
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": raw_headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        delivered = False
        status = 0

        async def receive() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await app(scope, receive, send)
        return status

    return call


class Collections:
    """The garbage collector's runs and pauses while a scenario runs: a request that leaves
    a reference cycle behind brings a collection every few hundred requests, a pause of
    several milliseconds for every request in flight (the tail under load)."""

    def __init__(self) -> None:
        self.runs: dict[str, int] = {}
        self.paused_ms: dict[str, float] = {}
        self.current: str | None = None
        self._started = 0.0

    def __call__(self, phase: str, _info: dict[str, int]) -> None:
        if self.current is None:
            return
        if phase == "start":
            self._started = time.perf_counter()
            return
        self.runs[self.current] = self.runs.get(self.current, 0) + 1
        pause = (time.perf_counter() - self._started) * 1000
        self.paused_ms[self.current] = self.paused_ms.get(self.current, 0.0) + pause


async def measure(
    scenarios: dict[str, Call], *, requests: int, batches: int, collections: Collections
) -> dict[str, float]:
    """Median CPU milliseconds per request of each scenario, batches interleaved."""
    samples: dict[str, list[float]] = {name: [] for name in scenarios}
    for name, call in scenarios.items():
        status = await call()
        if status != 200:
            raise SystemExit(f"{name}: HTTP {status}")
    gc.callbacks.append(collections)
    try:
        for _ in range(batches):
            for name, call in scenarios.items():
                collections.current = name
                started = time.process_time()
                for _ in range(requests):
                    await call()
                samples[name].append((time.process_time() - started) / requests * 1000)
                collections.current = None
    finally:
        gc.callbacks.remove(collections)
    return {name: statistics.median(values) for name, values in samples.items()}


async def run(
    database_url: str, *, requests: int, batches: int, collections: Collections
) -> dict[str, float]:
    os.environ["IDENTITY_SECRET_KEY"] = "bench-hot-cpu-secret-key-0123456789abcdef"
    common = {"env": "test", "database_url": database_url, "log_level": "WARNING"}
    app = create_app(Settings(**common, rate_limits_enabled=False))
    # The same app with every request counted (budgets far above what is spent here).
    limited = create_app(Settings(**common, rate_limits=UNSPENDABLE))
    async with app.router.lifespan_context(app), limited.router.lifespan_context(limited):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            user = {"email": "hot@example.com", "password": PASSWORD}
            (await client.post("/api/v1/auth/register", json=user)).raise_for_status()
            login = (await client.post("/api/v1/auth/login", json=user)).json()
        bearer = {"host": "bench", "authorization": f"Bearer {login['access_token']}"}
        graphql = {**bearer, "content-type": "application/json"}
        me_query = json.dumps({"query": "{ me { id email } }"}).encode()
        tune_garbage_collection()
        return await measure(
            {
                BARE: asgi_call(bare.app, "GET", "/", {"host": "bench"}, b""),
                REST_ME: asgi_call(app, "GET", "/api/v1/auth/me", bearer, b""),
                REST_ME_LIMITED: asgi_call(limited, "GET", "/api/v1/auth/me", bearer, b""),
                GRAPHQL_ME: asgi_call(app, "POST", "/graphql", graphql, me_query),
            },
            requests=requests,
            batches=batches,
            collections=collections,
        )


@contextmanager
def throwaway_database(*, sqlite: bool) -> Iterator[str]:
    """The URL of an empty database: a SQLite file, or a PostgreSQL started for the run."""
    if sqlite:
        yield f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='identity-bench-')}/bench.db"
        return
    cluster = PostgresCluster()
    cluster.start()
    try:
        cluster.sql("CREATE DATABASE bench")
        yield cluster.url("bench")
    finally:
        cluster.destroy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--batches", type=int, default=7)
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    collections = Collections()
    with throwaway_database(sqlite=args.sqlite) as url:
        figures = asyncio.run(
            run(url, requests=args.requests, batches=args.batches, collections=collections)
        )
    bare_ms = figures[BARE]
    served = args.requests * args.batches / 1000
    print(f"\nCPU per request, in process ({'SQLite' if args.sqlite else 'PostgreSQL'})\n")
    print("| scenario | CPU ms | times bare | GC runs per 1,000 | GC pause ms per 1,000 |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, ms in figures.items():
        runs = collections.runs.get(name, 0) / served
        paused = collections.paused_ms.get(name, 0.0) / served
        print(f"| {name} | {ms:.3f} | {ms / bare_ms:.1f} | {runs:.1f} | {paused:.1f} |")
    overhead = figures[REST_ME_LIMITED] / figures[REST_ME] - 1
    print(f"\nrate limiter's share of REST me: +{overhead:.0%} CPU (issue 12's target: 10 %)")


if __name__ == "__main__":
    main()
