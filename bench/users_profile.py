"""In-process cost of the 100-user page: milliseconds per request, and where they go.

Seeds the same 10,000 users as ``bench.users`` into a throwaway PostgreSQL, then drives the
ASGI app in this process (no HTTP server, no wrk) one request at a time and prints, per
scenario, the best and median over batches of the wall time and of this process's CPU time
per request; ``--profile N`` prints cProfile's top N functions.

    .venv/bin/python -m bench.users_profile [--requests 20] [--batches 5] [--profile 30]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from bench.users import ADMIN_EMAIL, ADMIN_PASSWORD, GRAPHQL_PAGE, PAGE, seeded
from identity.app import create_app, tune_garbage_collection
from identity.config import Settings
from tests.support.postgres import PostgresCluster


async def drive(args: argparse.Namespace, env: dict[str, str], cluster: PostgresCluster) -> None:
    os.environ.update(env)
    app = create_app(Settings())
    tune_garbage_collection()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            login = await client.post(
                "/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
            )
            login.raise_for_status()
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            scenarios = {
                "GraphQL users(first: 100)": lambda: client.post(
                    "/graphql", json={"query": GRAPHQL_PAGE}, headers=headers
                ),
                f"REST GET /api/v1/users?size={PAGE}": lambda: client.get(
                    f"/api/v1/users?size={PAGE}", headers=headers
                ),
                "REST GET /api/v1/auth/me": lambda: client.get("/api/v1/auth/me", headers=headers),
            }
            for name, call in scenarios.items():
                if args.only and args.only not in name:
                    continue
                for _ in range(5):
                    (await call()).raise_for_status()
                if args.statements:
                    print(f"{name}: statements as PostgreSQL timed them")
                    with statement_log(cluster):
                        (await call()).raise_for_status()
                profiler = cProfile.Profile() if args.profile else None
                if profiler:
                    profiler.enable()
                batches = []
                cpu = []
                for _ in range(args.batches):
                    started, cpu_started = time.perf_counter(), time.process_time()
                    for _ in range(args.requests):
                        response = await call()
                    batches.append((time.perf_counter() - started) / args.requests * 1000)
                    cpu.append((time.process_time() - cpu_started) / args.requests * 1000)
                if profiler:
                    profiler.disable()
                response.raise_for_status()
                print(
                    f"{name}: wall best {min(batches):.2f} ms/request, median "
                    f"{statistics.median(batches):.2f}; this process's CPU best "
                    f"{min(cpu):.2f} ms, median {statistics.median(cpu):.2f} "
                    f"({args.batches} batches of {args.requests}; {len(response.content)} bytes)"
                )
                if profiler:
                    pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.profile)


@contextmanager
def statement_log(cluster: PostgresCluster) -> Iterator[None]:
    """Prints each statement PostgreSQL ran meanwhile, with its server-side duration."""
    log = cluster.root / "log"
    start = log.stat().st_size
    cluster.sql("ALTER SYSTEM SET log_min_duration_statement = 0")
    cluster.sql("SELECT pg_reload_conf()")
    time.sleep(0.2)
    try:
        yield
    finally:
        cluster.sql("ALTER SYSTEM RESET log_min_duration_statement")
        cluster.sql("SELECT pg_reload_conf()")
        with log.open() as lines:
            lines.seek(start)
            for line in lines:
                if "duration:" in line and "pg_reload_conf" not in line:
                    print("   ", line.split("duration: ", 1)[1].rstrip()[:160])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20, help="requests per batch")
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--profile", type=int, default=0)
    parser.add_argument("--only", default="", help="run the scenarios whose name has this")
    parser.add_argument("--statements", action="store_true", help="log PostgreSQL's timings")
    parser.add_argument("--sort", default="tottime", help="cProfile sort key, e.g. cumulative")
    args = parser.parse_args()
    with seeded(args.users) as (cluster, env):
        asyncio.run(drive(args, env, cluster))


if __name__ == "__main__":
    main()
