"""CPU and SQL statements per refresh and per login, in-process on PostgreSQL.

Starts a throwaway PostgreSQL holding the super-admin of ``bench.users`` (no other accounts),
builds the app in this process and drives it through ASGI (no HTTP server): ``--refreshes``
refreshes chained (each presents the token the previous one answered), then ``--logins``
logins. Per operation it prints this process's CPU (all threads: the argon2 pool included)
and the statements the app's engine ran; for login it also measures, in the same run, the
argon2 verification of the same password by the app's own hasher and prints the CPU a login
costs besides it, and the share of a login that argon2 is (the ceiling a login can reach:
100 %). As a reference measured in the same run it prints the CPU of ``GET /``
(the service root: no database) and each figure's ratio to it.

Statements are those the engine's cursor runs: on asyncpg a transaction's BEGIN and COMMIT
are not among them (each is a round trip all the same). One ``SELECT 1`` through a read
session is printed too: what a round trip costs this process, the floor under each statement.

    .venv/bin/python -m bench.refresh_cpu [--refreshes 1000] [--logins 50] [--rounds 3]
    .venv/bin/python -m bench.refresh_cpu --profile "refresh service"   # cProfile, CPU time

``BENCH_THREADS=1`` also prints the event loop thread's CPU apart from the process's;
``BENCH_CALLERS=<regex>`` adds the callers of matching functions to a profile. Run it on two
checkouts in one session to compare them (``PYTHONPATH=<checkout>``, e.g. a ``git archive``
of the commit before).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event, text

from bench.users import ADMIN_EMAIL, ADMIN_PASSWORD, seeded
from identity.app import create_app, tune_garbage_collection
from identity.config import Settings
from identity.principal import RequestMeta
from identity.runtime import Runtime
from identity.services import auth

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
REFERENCE = "/"


@asynccontextmanager
async def client_of(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            yield client


class Statements:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_args: Any) -> None:
        self.count += 1


async def measured(
    app: FastAPI, times: int, step: Callable[[], Awaitable[None]]
) -> tuple[float, float]:
    """CPU milliseconds and statements per call of ``step``."""
    engine = app.state.runtime.database.engine.sync_engine
    counter = Statements()
    event.listen(engine, "before_cursor_execute", counter)
    try:
        started = time.process_time()
        started_thread = time.thread_time()
        for _ in range(times):
            await step()
        elapsed = time.process_time() - started
        if os.environ.get("BENCH_THREADS"):
            print(
                f"{step.__name__}: process {elapsed / times * 1000:.3f} ms, "
                f"loop thread {(time.thread_time() - started_thread) / times * 1000:.3f} ms"
            )
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    return elapsed / times * 1000, counter.count / times


async def profiled(app: FastAPI, name: str, step: Callable[[], Awaitable[None]]) -> None:
    """The functions that cost most CPU in 100 calls of ``step`` (cumulative, then own)."""
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    await measured(app, 100, step)
    profile.disable()
    stats = pstats.Stats(profile).strip_dirs()
    print(f"--- {name}: cumulative")
    stats.sort_stats("cumulative").print_stats(45)
    print(f"--- {name}: own time")
    stats.sort_stats("tottime").print_stats(30)
    if os.environ.get("BENCH_CALLERS"):
        stats.print_callers(os.environ["BENCH_CALLERS"])


async def drive(args: argparse.Namespace) -> None:
    app = create_app(Settings())
    tune_garbage_collection()  # as ``app_factory`` does for the server
    async with client_of(app) as client:
        runtime: Runtime = app.state.runtime
        credentials = {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        first = await client.post(LOGIN, json=credentials)
        first.raise_for_status()
        chain = {"token": first.json()["refresh_token"]}

        async def reference() -> None:
            (await client.get(REFERENCE)).raise_for_status()

        async def refresh() -> None:
            answer = await client.post(REFRESH, json={"refresh_token": chain["token"]})
            answer.raise_for_status()
            chain["token"] = answer.json()["refresh_token"]

        meta = RequestMeta(ip_address="127.0.0.1", user_agent="bench", request_id="bench")

        async def refresh_service() -> None:
            answer = await auth.refresh(runtime.deps, refresh_token=chain["token"], meta=meta)
            chain["token"] = answer.refresh_token

        async def login_service() -> None:
            await auth.login(
                runtime.deps, identifier=ADMIN_EMAIL, password=ADMIN_PASSWORD, meta=meta
            )

        async def login() -> None:
            (await client.post(LOGIN, json=credentials)).raise_for_status()

        async with runtime.database.read() as session:
            password_hash = (
                await session.execute(
                    text("SELECT password_hash FROM users WHERE email = :email"),
                    {"email": ADMIN_EMAIL},
                )
            ).scalar_one()

        async def argon2() -> None:
            assert (await runtime.deps.hasher.verify(password_hash, ADMIN_PASSWORD)).valid

        select_one = text("SELECT 1")

        async def round_trip() -> None:
            async with runtime.database.read() as session:
                await session.execute(select_one)

        steps = {
            "reference": (reference, args.refreshes),
            "round trip": (round_trip, args.refreshes),
            "refresh": (refresh, args.refreshes),
            "refresh service": (refresh_service, args.refreshes),
            "argon2": (argon2, args.logins),
            "login": (login, args.logins),
            "login service": (login_service, args.logins),
        }
        for step, _ in steps.values():  # warm every path once
            await step()
        figures: dict[str, list[tuple[float, float]]] = {name: [] for name in steps}
        if args.profile:
            await profiled(app, args.profile, steps[args.profile][0])
            return
        for _ in range(args.rounds):
            for name, (step, times) in steps.items():
                figures[name].append(await measured(app, times, step))
    cpu = {name: statistics.median(one[0] for one in rows) for name, rows in figures.items()}
    statements = {name: rows[-1][1] for name, rows in figures.items()}
    base = cpu["reference"]
    beside = cpu["login"] - cpu["argon2"]
    service_beside = cpu["login service"] - cpu["argon2"]
    print(f"medians of {args.rounds} rounds; CPU of this process, all threads")
    print(f"reference GET {REFERENCE}: {base:.3f} ms")
    print(f"one SELECT 1 through a read session (a round trip): {cpu['round trip']:.3f} ms")
    print(
        f"refresh (chained x{args.refreshes}): {cpu['refresh']:.3f} ms, "
        f"{statements['refresh']:.1f} statements, {cpu['refresh'] / base:.1f}x the reference"
    )
    print(f"  of which the service (auth.refresh called directly): {cpu['refresh service']:.3f} ms")
    print(
        f"login (x{args.logins}): {cpu['login']:.3f} ms, {statements['login']:.1f} statements; "
        f"argon2 verify {cpu['argon2']:.3f} ms; login besides argon2 {beside:.3f} ms "
        f"({beside / base:.1f}x the reference); argon2 share of a login "
        f"{cpu['argon2'] / cpu['login']:.1%}"
    )
    print(
        f"  of which the service (auth.login called directly): {cpu['login service']:.3f} ms, "
        f"besides argon2 {service_beside:.3f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--refreshes", type=int, default=1000)
    parser.add_argument("--logins", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--profile",
        choices=("refresh", "login", "refresh service", "login service"),
        help="print a profile (CPU time) of one instead",
    )
    args = parser.parse_args()
    with seeded(0) as (_, env):
        os.environ.update(env)
        asyncio.run(drive(args))


if __name__ == "__main__":
    main()
