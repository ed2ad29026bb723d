"""In-process cost of the 100-user page: milliseconds per request, and where they go.

Seeds the same 10,000 users as ``bench.users`` into a throwaway PostgreSQL, then drives the
ASGI app in this process (no HTTP server, no wrk) one request at a time and prints, per
scenario, the best and median over batches of the wall time and of this process's CPU time
per request, and the GraphQL/REST CPU ratio for the same fields of the same 100 users;
``--profile N`` prints cProfile's top N functions.

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
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import httpx

from bench.users import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    GRAPHQL_PAGE,
    GRAPHQL_REST_FIELDS,
    PAGE,
    SAME_FIELDS_GRAPHQL,
    SAME_FIELDS_REST,
    seeded,
)
from identity.app import create_app, tune_garbage_collection
from identity.config import Settings
from tests.support.postgres import PostgresCluster

Figures = dict[str, tuple[float, float]]
"""Per scenario: (median wall ms, median CPU ms) per request."""


async def measure(
    env: dict[str, str],
    *,
    requests: int = 20,
    batches: int = 5,
    only: str = "",
    profile: int = 0,
    sort: str = "tottime",
    cluster: PostgresCluster | None = None,
    users: int = 10_000,
    quiet: bool = False,
) -> Figures:
    """Each scenario driven in this process through the real ASGI app; ``cluster``: print
    the statements PostgreSQL ran for one request of each."""
    os.environ.update(env)
    app = create_app(Settings())
    tune_garbage_collection()
    figures: Figures = {}
    last = f"skip={users + 1 - PAGE}&limit={PAGE}"
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            login = await client.post(
                "/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
            )
            login.raise_for_status()
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

            def graphql(document: str) -> Callable[[], Awaitable[httpx.Response]]:
                return lambda: client.post("/graphql", json={"query": document}, headers=headers)

            def get(path: str) -> Callable[[], Awaitable[httpx.Response]]:
                return lambda: client.get(path, headers=headers)

            scenarios = {
                SAME_FIELDS_GRAPHQL: graphql(GRAPHQL_REST_FIELDS),
                SAME_FIELDS_REST: get(f"/api/v1/users?size={PAGE}"),
                "GraphQL users(first: 100) + roles + permissions": graphql(GRAPHQL_PAGE),
                f"REST GET /api/v1/users?{last} (the last {PAGE})": get(f"/api/v1/users?{last}"),
                "REST GET /api/v1/auth/me": get("/api/v1/auth/me"),
            }
            for name, call in scenarios.items():
                if only and only not in name:
                    continue
                for _ in range(5):
                    (await call()).raise_for_status()
                if cluster is not None:
                    print(f"{name}: statements as PostgreSQL timed them")
                    with statement_log(cluster):
                        (await call()).raise_for_status()
                profiler = cProfile.Profile() if profile else None
                if profiler:
                    profiler.enable()
                walls = []
                cpu = []
                for _ in range(batches):
                    started, cpu_started = time.perf_counter(), time.process_time()
                    for _ in range(requests):
                        response = await call()
                    walls.append((time.perf_counter() - started) / requests * 1000)
                    cpu.append((time.process_time() - cpu_started) / requests * 1000)
                if profiler:
                    profiler.disable()
                response.raise_for_status()
                assert "errors" not in response.json(), response.text[:500]
                figures[name] = (statistics.median(walls), statistics.median(cpu))
                if not quiet:
                    print(
                        f"{name}: wall best {min(walls):.2f} ms/request, median "
                        f"{statistics.median(walls):.2f}; this process's CPU best "
                        f"{min(cpu):.2f} ms, median {statistics.median(cpu):.2f} "
                        f"({batches} batches of {requests}; {len(response.content)} bytes)"
                    )
                if profiler:
                    pstats.Stats(profiler).sort_stats(sort).print_stats(profile)
    return figures


def cpu_ratio(figures: Figures) -> float | None:
    """GraphQL CPU / REST CPU for the same fields of the same 100 users."""
    if SAME_FIELDS_GRAPHQL not in figures or SAME_FIELDS_REST not in figures:
        return None
    return figures[SAME_FIELDS_GRAPHQL][1] / figures[SAME_FIELDS_REST][1]


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
        figures = asyncio.run(
            measure(
                env,
                requests=args.requests,
                batches=args.batches,
                only=args.only,
                profile=args.profile,
                sort=args.sort,
                cluster=cluster if args.statements else None,
                users=args.users,
            )
        )
    ratio = cpu_ratio(figures)
    if ratio is not None:
        print(f"GraphQL CPU / REST CPU, the same fields of {PAGE} users: {ratio:.2f}x")


if __name__ == "__main__":
    main()
