"""Why GraphQL ``me``'s latency tail is wider than REST's under load: in process.

For each scenario: the event-loop callbacks one request schedules and the tasks it creates
(each a turn of the loop where the other connections' requests run first), then N
concurrent clients (``--clients``, as wrk's connections) calling in a loop, with every
request's wall time: p50, p99 and their ratio. Same app and database as ``bench.hot_cpu``.

    .venv/bin/python -m bench.gql_tail [--clients 16] [--requests 4000] [--sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import time
from collections import Counter
from typing import Any

import httpx

from bench import bare
from bench.hot_cpu import BARE, GRAPHQL_ME, REST_ME, Call, asgi_call, throwaway_database
from bench.run import PASSWORD
from identity.app import create_app, tune_garbage_collection
from identity.config import Settings


async def turns(call: Call) -> tuple[int, int, Counter[str]]:
    """Callbacks scheduled and tasks created by one request on an otherwise idle loop."""
    loop = asyncio.get_running_loop()
    scheduled: Counter[str] = Counter()
    created = 0
    original_soon = loop.call_soon
    factory = loop.get_task_factory()

    def call_soon(callback: Any, *args: Any, **kwargs: Any) -> Any:
        scheduled[getattr(callback, "__qualname__", repr(callback))] += 1
        return original_soon(callback, *args, **kwargs)

    def task_factory(loop_: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
        nonlocal created
        created += 1
        scheduled["task:" + getattr(coro, "__qualname__", "?")] += 1
        return asyncio.Task(coro, loop=loop_, **kwargs)

    loop.call_soon = call_soon  # type: ignore[method-assign, assignment]
    loop.set_task_factory(task_factory)
    try:
        await call()
    finally:
        loop.call_soon = original_soon  # type: ignore[method-assign]
        loop.set_task_factory(factory)
    return sum(scheduled.values()), created, scheduled


async def under_load(call: Call, *, clients: int, requests: int) -> list[float]:
    """Wall milliseconds of each request, ``clients`` calling at once in a loop."""
    latencies: list[float] = []
    per_client = requests // clients

    async def client() -> None:
        for _ in range(per_client):
            started = time.perf_counter()
            await call()
            latencies.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0)  # the next request arrives as a new read, as on a socket

    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(url: str, *, clients: int, requests: int) -> None:
    os.environ["IDENTITY_SECRET_KEY"] = "bench-hot-cpu-secret-key-0123456789abcdef"
    app = create_app(
        Settings(env="test", database_url=url, log_level="WARNING", rate_limits_enabled=False)
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            user = {"email": "hot@example.com", "password": PASSWORD}
            (await client.post("/api/v1/auth/register", json=user)).raise_for_status()
            login = (await client.post("/api/v1/auth/login", json=user)).json()
        bearer = {"host": "bench", "authorization": f"Bearer {login['access_token']}"}
        graphql = {**bearer, "content-type": "application/json"}
        me_query = json.dumps({"query": "{ me { id email } }"}).encode()
        scenarios = {
            BARE: asgi_call(bare.app, "GET", "/", {"host": "bench"}, b""),
            REST_ME: asgi_call(app, "GET", "/api/v1/auth/me", bearer, b""),
            GRAPHQL_ME: asgi_call(app, "POST", "/graphql", graphql, me_query),
        }
        tune_garbage_collection()
        for call in scenarios.values():
            for _ in range(50):
                await call()
        print("\n| scenario | loop callbacks | tasks | what |")
        print("| --- | ---: | ---: | --- |")
        for name, call in scenarios.items():
            total, created, scheduled = await turns(call)
            what = ", ".join(f"{k} x{v}" for k, v in scheduled.most_common(6))
            print(f"| {name} | {total} | {created} | {what} |")
        print("\nsequential, CPU ms of the thread; slowest (index: ms @ seconds into the run)")
        for name, call in scenarios.items():
            lat: list[float] = []
            at: list[float] = []
            t0 = time.perf_counter()
            for _ in range(requests * 3):
                wall = time.perf_counter()
                started = time.thread_time()
                await call()
                lat.append((time.thread_time() - started) * 1000)
                at.append(wall - t0)
            p50, p99 = quantile(lat, 0.5), quantile(lat, 0.99)
            slow = sorted(range(len(lat)), key=lambda i: -lat[i])[:12]
            gaps = ", ".join(f"{i}: {lat[i]:.1f} @{at[i]:.2f}s" for i in sorted(slow))
            print(f"{name}: p50 {p50:.3f} p99 {p99:.3f} ({p99 / p50:.2f}x); {gaps}")
        print(f"\n{clients} clients at once, {requests} requests each scenario, wall ms")
        print("| scenario | p50 | p90 | p99 | max | p99/p50 | GC runs |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for _ in range(2):
            for name, call in scenarios.items():
                before = sum(s["collections"] for s in gc.get_stats())
                lat = await under_load(call, clients=clients, requests=requests)
                runs = sum(s["collections"] for s in gc.get_stats()) - before
                p50, p90, p99 = (quantile(lat, q) for q in (0.5, 0.9, 0.99))
                print(
                    f"| {name} | {p50:.2f} | {p90:.2f} | {p99:.2f} | {max(lat):.2f} |"
                    f" {p99 / p50:.2f} | {runs} |"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    with throwaway_database(sqlite=args.sqlite) as url:
        asyncio.run(run(url, clients=args.clients, requests=args.requests))


if __name__ == "__main__":
    main()
