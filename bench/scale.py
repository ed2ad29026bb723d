"""Login and ``me`` at 10,000 accounts against 1,000,000: CPU and statements, in process.

Issue 15's target: login, ``me`` and the users page with 1,000,000 users within 20 % of
10,000 (the page is ``python -m bench.users --compare-scale``). One throwaway PostgreSQL
holds two databases seeded by ``bench.users.prepare`` (the super-admin and ``--small`` /
``--large`` accounts, one ``generate_series`` insert); in each, ``--accounts`` active
accounts spread evenly over the table get the super-admin's password hash. Both apps are
built in this process and driven through ASGI (``httpx.ASGITransport``, no HTTP server);
rounds alternate between the sizes so drift hits both alike. Per size and operation it
prints this process's CPU (all threads: the argon2 pool included) and the statements the
app's engine ran:

- login (``POST /api/v1/auth/login``), each by the next of the spread accounts, and the
  same through ``auth.login`` called directly; the argon2 verification of the same
  password by the app's hasher is measured in the same run, and the login's CPU besides it;
- REST ``GET /api/v1/auth/me`` and GraphQL ``{ me { id email } }``, each by the next of the
  spread accounts' access tokens;
- ``GET /`` (no database), the reference.

then each figure at the large size / at the small one (the target: within 20 %). The
database's own CPU is not in these figures (a separate process); ``--explain`` prints
``EXPLAIN (ANALYZE, BUFFERS)`` of the statements a login and a first ``me`` run, captured
from the large app's engine.

    .venv/bin/python -m bench.scale [--small 10000] [--large 1000000] [--logins 40]
                                    [--mes 500] [--rounds 3] [--accounts 20] [--explain]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from itertools import cycle
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event, text

from bench.users import ADMIN_EMAIL, ADMIN_PASSWORD, prepare, psql
from identity.app import create_app, tune_garbage_collection
from identity.config import Settings
from identity.principal import RequestMeta
from identity.runtime import Runtime
from identity.services import auth
from tests.support.postgres import PostgresCluster

LOGIN = "/api/v1/auth/login"
ME = "/api/v1/auth/me"
ME_QUERY = {"query": "{ me { id email } }"}
OPERATIONS = (
    "reference",
    "argon2",
    "login",
    "login service",
    "REST me",
    "GraphQL me",
    "REST me, principal cache flushed",
)

SPREAD = """
UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE email = '{admin}')
WHERE username IN ({names})
"""


def spread_names(size: int, accounts: int) -> list[str]:
    """``accounts`` seeded usernames spread evenly over ``size``, each an active one
    (``bench.users`` seeds ``g % 6 == 0`` active and enabled)."""
    step = size // accounts
    return [f"user{max(6, (i * step) // 6 * 6)}" for i in range(1, accounts + 1)]


@dataclass
class Size:
    size: int
    app: FastAPI
    client: httpx.AsyncClient
    names: list[str]
    tokens: list[str] = field(default_factory=list)
    steps: dict[str, Callable[[], Awaitable[None]]] = field(default_factory=dict)
    figures: dict[str, list[tuple[float, float, float]]] = field(default_factory=dict)

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime


@asynccontextmanager
async def served(env: dict[str, str]) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The app built on ``env``'s database, its lifespan running, and a client of it."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        app = create_app(Settings())
    finally:
        os.environ.clear()
        os.environ.update(saved)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            yield app, client


class Statements:
    def __init__(self) -> None:
        self.count = 0
        self.seen: list[tuple[str, Any]] = []
        self.keep = False

    def __call__(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        self.count += 1
        if self.keep:
            self.seen.append((statement, parameters))


async def measured(
    app: FastAPI, times: int, step: Callable[[], Awaitable[None]]
) -> tuple[float, float, float]:
    """CPU milliseconds, statements and wall milliseconds (PostgreSQL's work included) per
    call of ``step``."""
    engine = app.state.runtime.database.engine.sync_engine
    counter = Statements()
    event.listen(engine, "before_cursor_execute", counter)
    try:
        started = time.process_time()
        started_wall = time.perf_counter()
        for _ in range(times):
            await step()
        elapsed = time.process_time() - started
        wall = time.perf_counter() - started_wall
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    return elapsed / times * 1000, counter.count / times, wall / times * 1000


def build_steps(one: Size) -> None:
    client, runtime = one.client, one.runtime
    emails = cycle(f"{name}@example.com" for name in one.names)
    bearers = cycle({"Authorization": f"Bearer {token}"} for token in one.tokens)
    meta = RequestMeta(ip_address="127.0.0.1", user_agent="bench", request_id="bench")
    password_hash: dict[str, str] = {}

    async def reference() -> None:
        (await client.get("/")).raise_for_status()

    async def argon2() -> None:
        assert (await runtime.deps.hasher.verify(password_hash["hash"], ADMIN_PASSWORD)).valid

    async def login() -> None:
        answer = await client.post(LOGIN, json={"email": next(emails), "password": ADMIN_PASSWORD})
        answer.raise_for_status()

    async def login_service() -> None:
        await auth.login(runtime.deps, identifier=next(emails), password=ADMIN_PASSWORD, meta=meta)

    async def rest_me() -> None:
        (await client.get(ME, headers=next(bearers))).raise_for_status()

    async def graphql_me() -> None:
        answer = await client.post("/graphql", json=ME_QUERY, headers=next(bearers))
        answer.raise_for_status()
        assert "errors" not in answer.json(), answer.text

    async def rest_me_uncached() -> None:
        runtime.deps.principals.flush()  # the caller and its grants read from the database
        await rest_me()

    one.steps = dict(
        zip(
            OPERATIONS,
            (reference, argon2, login, login_service, rest_me, graphql_me, rest_me_uncached),
            strict=True,
        )
    )

    async def load_hash() -> None:
        async with runtime.database.read() as session:
            password_hash["hash"] = (
                await session.execute(
                    text("SELECT password_hash FROM users WHERE email = :email"),
                    {"email": ADMIN_EMAIL},
                )
            ).scalar_one()

    one.steps["_load"] = load_hash


async def sign_in(one: Size) -> None:
    for name in one.names:
        answer = await one.client.post(
            LOGIN, json={"email": f"{name}@example.com", "password": ADMIN_PASSWORD}
        )
        answer.raise_for_status()
        one.tokens.append(answer.json()["access_token"])


async def explain(cluster: PostgresCluster, database: str, one: Size) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement one login and one first ``me`` (a
    fresh session: the principal read from the database) run, in a rolled-back
    transaction."""
    engine = one.runtime.database.engine.sync_engine
    counter = Statements()
    counter.keep = True
    event.listen(engine, "before_cursor_execute", counter)
    try:
        answer = await one.client.post(
            LOGIN, json={"email": f"{one.names[-1]}@example.com", "password": ADMIN_PASSWORD}
        )
        answer.raise_for_status()
        token = answer.json()["access_token"]
        (await one.client.get(ME, headers={"Authorization": f"Bearer {token}"})).raise_for_status()
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    import asyncpg

    connection = await asyncpg.connect(cluster.dsn(database))
    try:
        for statement, parameters in counter.seen:
            print("=" * 100)
            print(statement.strip()[:1500])
            values = list(parameters) if isinstance(parameters, (tuple, list)) else []
            transaction = connection.transaction()
            await transaction.start()
            try:
                rows = await connection.fetch("EXPLAIN (ANALYZE, BUFFERS) " + statement, *values)
                print("\n".join(row[0] for row in rows))
            except Exception as error:  # a statement asyncpg alone cannot bind: show why
                print(f"(not explained: {error!r})")
            finally:
                await transaction.rollback()
    finally:
        await connection.close()


async def drive(args: argparse.Namespace, cluster: PostgresCluster, envs: dict[int, Any]) -> None:
    tune_garbage_collection()
    sizes: dict[int, Size] = {}
    async with AsyncExitStack() as stack:
        for size, env in envs.items():
            app, client = await stack.enter_async_context(served(env))
            sizes[size] = Size(size, app, client, spread_names(size, args.accounts))
        for one in sizes.values():
            await sign_in(one)
            build_steps(one)
            await one.steps.pop("_load")()
            for step in one.steps.values():  # warm every path once
                await step()
            one.figures = {name: [] for name in OPERATIONS}
        if args.explain:
            large = max(sizes)
            await explain(cluster, f"bench_scale_{large}", sizes[large])
        times = {"argon2": args.logins, "login": args.logins, "login service": args.logins}
        for _ in range(args.rounds):
            for name in OPERATIONS:
                for one in sizes.values():
                    one.figures[name].append(
                        await measured(one.app, times.get(name, args.mes), one.steps[name])
                    )
    report(args, sizes)


def report(args: argparse.Namespace, sizes: dict[int, Size]) -> None:
    cpu, wall, statements = (
        {
            size: {
                name: statistics.median(row[column] for row in rows)
                for name, rows in one.figures.items()
            }
            for size, one in sizes.items()
        }
        for column in (0, 2, 1)
    )
    for figures in cpu.values():  # argon2's wall time is its thread's wait: not subtracted
        figures["login besides argon2"] = figures["login"] - figures["argon2"]
        figures["login service besides argon2"] = figures["login service"] - figures["argon2"]
    print(
        f"\nmedians of {args.rounds} rounds; CPU ms of this process (all threads) and wall ms "
        f"(one call at a time: PostgreSQL's work included), PostgreSQL, {args.accounts} "
        f"accounts spread over the table, {os.cpu_count()} cores"
    )
    small, large = min(sizes), max(sizes)
    print(
        f"| operation | {small:,}: CPU ms | wall ms | stmts | {large:,}: CPU ms | wall ms "
        "| stmts | CPU large/small | wall large/small |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in cpu[small]:
        counts = [statements[size].get(name) for size in (small, large)]
        shown = ["" if count is None else f"{count:.1f}" for count in counts]
        walls = [f"{wall[size][name]:.3f}" if name in wall[size] else "" for size in (small, large)]
        ratio = f"{wall[large][name] / wall[small][name]:.0%}" if name in wall[small] else ""
        print(
            f"| {name} | {cpu[small][name]:.3f} | {walls[0]} | {shown[0]} "
            f"| {cpu[large][name]:.3f} | {walls[1]} | {shown[1]} "
            f"| {cpu[large][name] / cpu[small][name]:.0%} | {ratio} |"
        )
    print()
    for name in ("login", "login besides argon2", "REST me", "GraphQL me", OPERATIONS[-1]):
        for label, figures in (("CPU", cpu), ("wall time", wall)):
            if name not in figures[small]:
                continue
            ratio = figures[large][name] / figures[small][name]
            verdict = "within 20%" if ratio <= 1.2 else "MISSES 20%"
            print(f"{name}: {large:,} accounts / {small:,}: {ratio:.0%} of the {label} ({verdict})")
    for size in (small, large):
        share = cpu[size]["argon2"] / cpu[size]["login"]
        print(f"{size:,} accounts: argon2 share of a login {share:.1%} (the ceiling: 100%)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--logins", type=int, default=40)
    parser.add_argument("--mes", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    cluster = PostgresCluster()
    try:
        cluster.start()
        envs: dict[int, dict[str, str]] = {}
        for size in (args.small, args.large):
            database = f"bench_scale_{size}"
            started = time.monotonic()
            envs[size] = prepare(cluster, database, size)
            names = ", ".join(f"'{name}'" for name in spread_names(size, args.accounts))
            psql(cluster, SPREAD.format(admin=ADMIN_EMAIL, names=names), database)
            print(f"seeded {size:,} accounts in {time.monotonic() - started:.0f} s")
        asyncio.run(drive(args, cluster, envs))
    finally:
        cluster.destroy()


if __name__ == "__main__":
    main()
