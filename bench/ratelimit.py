"""What the rate limiter costs: REST ``me`` and login with limits off, in memory and in Redis.

One PostgreSQL, one Redis, and ``identity serve`` (one worker) started three times in the same
run, the same account and token shape each time; budgets are set far above what wrk can
spend, so every request is counted and none is refused. The three runs alternate for
``--rounds`` rounds (a noisy machine drifts alike for all three); prints the median
requests/s per scenario and the ratio of each limited run to the unlimited one (the target:
at most 10 % off ``me``).

    .venv/bin/python -m bench.ratelimit [--seconds 10] [--connections 16] [--rounds 3]

``--cpu`` measures in process instead (no HTTP server, no wrk; ``bench.hot_cpu``'s ASGI
calls): CPU per REST ``me`` with limits off, in memory and in Redis, and CPU per spend of
the limiter alone: a request's two budgets spent one by one (two round trips to Redis, as
before) against together (``Limiter.spend_all``, one round trip).

    .venv/bin/python -m bench.ratelimit --cpu [--requests 500] [--batches 7] [--sqlite]

``--concurrency N`` (with ``--cpu``) calls each REST ``me`` scenario from N tasks at once, as
wrk's N connections do (requests overlap, so Redis calls can share writes and scripts), and
prints this process's CPU per request beside redis-server's (its ``INFO cpu``): on a
machine where Redis shares the cores, both count.

    .venv/bin/python -m bench.ratelimit --cpu --concurrency 16 [--requests 1600] [--sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, cast

import httpx
from fastapi import FastAPI
from redis import Redis
from starlette.types import Message, Receive, Scope, Send

from bench.hot_cpu import asgi_call, throwaway_database
from bench.run import BIN, PASSWORD, ensure_wrk, server, wrk
from identity.app import create_app, tune_garbage_collection
from identity.config import Settings
from identity.ratelimit import Budget, Limiter, resolve
from identity.web.rate_limit import RateLimitMiddleware
from tests.support.postgres import PostgresCluster, free_port
from tests.support.redis import RedisServer

HUGE = {budget.value: "100000000/hour" for budget in Budget}


def measure(
    env: dict[str, str], workdir: Path, database: str, common: dict[str, int]
) -> dict[str, float]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with server(
        [str(BIN / "identity"), "serve", "--port", str(port)], {**env, "PWD": str(workdir)}, port
    ):
        user = {"email": f"{database}@example.com", "password": PASSWORD}
        httpx.post(f"{base}/api/v1/auth/register", json=user).raise_for_status()
        token = httpx.post(f"{base}/api/v1/auth/login", json=user).json()["access_token"]
        me = wrk(f"{base}/api/v1/auth/me", "get.lua", env={"WRK_TOKEN": token}, **common)
        login = wrk(
            f"{base}/api/v1/auth/login", "post.lua", env={"WRK_BODY": json.dumps(user)}, **common
        )
    for name, row in (("me", me), ("login", login)):
        if row["errors"]:
            raise SystemExit(f"{database}: {row['errors']:.0f} non-2xx answers on {name}")
    return {"me": me["rps"], "login": login["rps"]}


Call = Callable[[], Awaitable[object]]
ME_OFF, ME_MEMORY, ME_REDIS = "REST me, limits off", "REST me, memory", "REST me, Redis"
BARE, LIMITED = "bare ASGI app", "bare ASGI app behind the limiter, memory"


async def _bare(scope: Scope, receive: Receive, send: Send) -> None:
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]}
    )
    await send({"type": "http.response.body", "body": b"{}"})


def middleware_calls(app: FastAPI, headers: dict[str, str]) -> dict[str, Call]:
    """The limiter's middleware alone (in memory), around an app answering at once: its own
    cost without the app's noise (the difference of the two)."""
    raw = [(name.encode(), value.encode()) for name, value in headers.items()]
    limited = RateLimitMiddleware(_bare)

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        return None

    def scope() -> Scope:
        return {"type": "http", "method": "GET", "path": "/api/v1/auth/me", "headers": raw,
                "client": ("127.0.0.1", 50000), "app": app, "state": {}}  # fmt: skip

    async def bare() -> None:
        await _bare(scope(), receive, send)

    async def behind() -> None:
        await limited(scope(), receive, send)

    return {BARE: bare, LIMITED: behind}


PAIR = (Budget.GENERAL, Budget.PLAN_FREE)


async def interleaved(calls: dict[str, Call], *, requests: int, batches: int) -> dict[str, float]:
    """Median CPU milliseconds per call of each scenario, batches interleaved."""
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for call in calls.values():
        await call()
    for _ in range(batches):
        for name, call in calls.items():
            started = time.process_time()
            for _ in range(requests):
                await call()
            samples[name].append((time.process_time() - started) / requests * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def redis_cpu_seconds(url: str) -> float:
    """redis-server's own CPU so far (user and system), from ``INFO cpu``."""
    client = Redis.from_url(url)
    try:
        info = cast(dict[str, Any], client.info("cpu"))
    finally:
        client.close()
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


async def overlapping(
    calls: dict[str, Call], *, concurrency: int, requests: int, batches: int, redis_url: str
) -> dict[str, tuple[float, float]]:
    """Median CPU milliseconds per call of each scenario, of this process and of Redis, with
    ``concurrency`` callers at once, batches interleaved."""
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in calls}
    each = max(1, requests // concurrency)

    async def loop(call: Call) -> None:
        for _ in range(each):
            await call()

    for call in calls.values():
        await asyncio.gather(*(call() for _ in range(concurrency)))
    for _ in range(batches):
        for name, call in calls.items():
            redis_before = redis_cpu_seconds(redis_url)
            started = time.process_time()
            await asyncio.gather(*(loop(call) for _ in range(concurrency)))
            ours = (time.process_time() - started) / (each * concurrency) * 1000
            theirs = (redis_cpu_seconds(redis_url) - redis_before) / (each * concurrency) * 1000
            samples[name].append((ours, theirs))
    return {
        name: (statistics.median(s[0] for s in values), statistics.median(s[1] for s in values))
        for name, values in samples.items()
    }


def print_overlapping(figures: dict[str, tuple[float, float]], concurrency: int) -> None:
    off = figures[ME_OFF][0]
    print(f"\nCPU in process with {concurrency} callers at once, and redis-server's, per request\n")
    print("| scenario | this process ms | redis-server ms | both vs REST me off |")
    print("| --- | ---: | ---: | ---: |")
    for name, (ours, theirs) in figures.items():
        print(f"| {name} | {ours:.3f} | {theirs:.3f} | {(ours + theirs) / off:.0%} |")
    for name in (ME_MEMORY, ME_REDIS):
        ours, theirs = figures[name]
        print(f"{name}: the limiter adds {ours - off:.3f} ms here and {theirs:.3f} ms in Redis, "
              f"throughput kept at the CPU bound {off / (ours + theirs):.0%}")  # fmt: skip


def spend_calls(limiter: Limiter, where: str) -> dict[str, Call]:
    """A request's two budgets spent one by one, and together, for one user."""
    key = f"user:{uuid.uuid4()}"

    async def one_by_one() -> None:
        for budget in PAIR:
            await limiter.spend(budget, key)

    async def together() -> None:
        await limiter.spend_all(PAIR, key)

    return {f"2 budgets one by one, {where}": one_by_one, f"2 budgets together, {where}": together}


PAIR_REDIS = "2 budgets together, Redis"


async def cpu_run(
    database_url: str, redis_url: str, *, requests: int, batches: int, concurrency: int
) -> None:
    os.environ["IDENTITY_SECRET_KEY"] = "bench-ratelimit-secret-key-0123456789abcdef"
    common: dict[str, Any] = {"env": "test", "database_url": database_url, "log_level": "WARNING"}
    apps = {
        ME_OFF: create_app(Settings(**common, rate_limits_enabled=False)),
        ME_MEMORY: create_app(Settings(**common, rate_limits=HUGE)),
        ME_REDIS: create_app(Settings(**common, rate_limits=HUGE, redis_url=redis_url)),
    }
    memory = Limiter(items=resolve(HUGE))
    redis = Limiter(items=resolve(HUGE), redis_url=redis_url)
    first = apps[ME_OFF]
    async with (
        first.router.lifespan_context(first),
        apps[ME_MEMORY].router.lifespan_context(apps[ME_MEMORY]),
        apps[ME_REDIS].router.lifespan_context(apps[ME_REDIS]),
    ):
        transport = httpx.ASGITransport(app=first)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            user = {"email": "rl@example.com", "password": PASSWORD}
            (await client.post("/api/v1/auth/register", json=user)).raise_for_status()
            login = (await client.post("/api/v1/auth/login", json=user)).json()
        bearer = {"host": "bench", "authorization": f"Bearer {login['access_token']}"}
        calls: dict[str, Call] = {
            name: asgi_call(app, "GET", "/api/v1/auth/me", bearer, b"")
            for name, app in apps.items()
        }
        calls |= spend_calls(memory, "memory") | spend_calls(redis, "Redis")
        calls |= middleware_calls(apps[ME_MEMORY], bearer)
        for name in (ME_OFF, ME_MEMORY, ME_REDIS):
            if await calls[name]() != 200:
                raise SystemExit(f"{name}: not 200")
        tune_garbage_collection()
        if concurrency > 1:
            mes = {name: calls[name] for name in (ME_OFF, ME_MEMORY, ME_REDIS)}
            mes[PAIR_REDIS] = calls[PAIR_REDIS]
            overlapped = await overlapping(
                mes,
                concurrency=concurrency,
                requests=requests,
                batches=batches,
                redis_url=redis_url,
            )
        else:
            figures = await interleaved(calls, requests=requests, batches=batches)
    await redis.aclose()
    if apps[ME_REDIS].state.runtime.limiter.backend.value != "connected":
        raise SystemExit("the Redis app fell back to memory during the run")
    if concurrency > 1:
        print_overlapping(overlapped, concurrency)
        return
    print(f"\nCPU in process, median of {batches} interleaved batches of {requests}\n")
    print("| scenario | CPU ms | vs REST me off |")
    print("| --- | ---: | ---: |")
    for name, ms in figures.items():
        print(f"| {name} | {ms:.3f} | {ms / figures[ME_OFF]:.0%} |")
    off = figures[ME_OFF]
    print(f"the limiter's middleware alone, in memory: {figures[LIMITED] - figures[BARE]:.3f} ms")
    for name in (ME_MEMORY, ME_REDIS):
        print(f"{name}: the limiter adds {figures[name] - off:.3f} ms, throughput kept at the "
              f"CPU bound {off / figures[name]:.0%}")  # fmt: skip


def cpu_main(args: argparse.Namespace) -> None:
    redis = RedisServer()
    redis.start()
    try:
        with throwaway_database(sqlite=args.sqlite) as url:
            asyncio.run(
                cpu_run(
                    url,
                    redis.url,
                    requests=args.requests,
                    batches=args.batches,
                    concurrency=args.concurrency,
                )
            )
    finally:
        redis.destroy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cpu", action="store_true")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--batches", type=int, default=7)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args()
    if args.cpu:
        cpu_main(args)
        return
    ensure_wrk()
    cluster = PostgresCluster()
    redis = RedisServer()
    workdir = Path(tempfile.mkdtemp(prefix="identity-bench-rl-"))
    common = {"seconds": args.seconds, "connections": args.connections, "threads": 2}
    runs = {
        "limits off": {"IDENTITY_RATE_LIMITS_ENABLED": "false"},
        "limits in memory": {"IDENTITY_RATE_LIMITS": json.dumps(HUGE)},
        "limits in Redis": {"IDENTITY_RATE_LIMITS": json.dumps(HUGE), "IDENTITY_REDIS_URL": ""},
    }
    rounds: dict[str, list[dict[str, float]]] = {name: [] for name in runs}
    try:
        cluster.start()
        redis.start()
        runs["limits in Redis"]["IDENTITY_REDIS_URL"] = redis.url
        for round_number in range(args.rounds):
            for number, (name, extra) in enumerate(runs.items()):
                database = f"bench_rl_{number}_{round_number}"
                cluster.sql(f"CREATE DATABASE {database}")
                env = {
                    **{k: v for k, v in os.environ.items() if not k.startswith("IDENTITY_")},
                    "IDENTITY_ENV": "test",
                    "IDENTITY_DATABASE_URL": cluster.url(database),
                    "IDENTITY_LOG_LEVEL": "WARNING",
                    "IDENTITY_LOCKOUT_THRESHOLD": "1000000",
                    **extra,
                }
                rounds[name].append(measure(env, workdir, database, common))
    finally:
        redis.destroy()
        cluster.destroy()
        shutil.rmtree(workdir, ignore_errors=True)

    figures = {
        name: {key: statistics.median(one[key] for one in measured) for key in ("me", "login")}
        for name, measured in rounds.items()
    }
    base = figures["limits off"]
    print(f"\nrate limiter cost: 1 worker, PostgreSQL, {args.connections} connections, "
          f"{args.seconds}s per scenario, median of {args.rounds} alternating rounds, "
          f"{os.cpu_count()} cores\n")  # fmt: skip
    print("| run | REST me /s | vs off | login /s | vs off |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, row in figures.items():
        print(
            f"| {name} | {row['me']:.0f} | {row['me'] / base['me']:.0%} "
            f"| {row['login']:.0f} | {row['login'] / base['login']:.0%} |"
        )


if __name__ == "__main__":
    main()
