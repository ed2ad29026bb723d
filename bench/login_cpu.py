"""A login's CPU apart from argon2, in-process on PostgreSQL: the event loop's and the server's.

``bench.refresh_cpu`` measures the whole process (argon2's threads included) and subtracts a
verification measured apart; this measures what competes with argon2 directly: the event
loop thread's CPU per login (``time.thread_time``: the hasher's threads are not in it) and
PostgreSQL's (its processes' ``utime + stime`` from ``/proc``), beside the loop's CPU of
``GET /`` (the service root, no database) measured in the same run as the reference.

    .venv/bin/python -m bench.login_cpu [--logins 100] [--rounds 3]
    .venv/bin/python -m bench.login_cpu --profile [--dump F]  # cProfile of the loop's CPU
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.refresh_cpu import client_of
from bench.users import ADMIN_EMAIL, ADMIN_PASSWORD, seeded
from identity.app import create_app, tune_garbage_collection
from identity.config import Settings
from identity.principal import RequestMeta
from identity.services import auth

LOGIN = "/api/v1/auth/login"
_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None


def server_seconds(data: Path) -> float:
    """CPU seconds spent so far by the cluster's postmaster and its children."""
    postmaster = int((data / "postmaster.pid").read_text().split()[0])
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat(int(entry.name))
        if fields is not None and (int(entry.name) == postmaster or int(fields[1]) == postmaster):
            total += int(fields[11]) + int(fields[12])
    return total / _TICKS


async def measured(
    data: Path, times: int, step: Callable[[], Awaitable[None]]
) -> tuple[float, float]:
    """The loop thread's and PostgreSQL's CPU milliseconds per call of ``step``."""
    server = server_seconds(data)
    started = time.thread_time()
    for _ in range(times):
        await step()
    loop = time.thread_time() - started
    return loop / times * 1000, (server_seconds(data) - server) / times * 1000


async def drive(args: argparse.Namespace, data: Path) -> None:
    app = create_app(Settings())
    tune_garbage_collection()
    async with client_of(app) as client:
        deps = app.state.runtime.deps
        credentials = {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        meta = RequestMeta(ip_address="127.0.0.1", user_agent="bench", request_id="bench")

        async def reference() -> None:
            (await client.get("/")).raise_for_status()

        async def login() -> None:
            (await client.post(LOGIN, json=credentials)).raise_for_status()

        async def login_service() -> None:
            await auth.login(deps, identifier=ADMIN_EMAIL, password=ADMIN_PASSWORD, meta=meta)

        steps = {"reference": reference, "login": login, "login service": login_service}
        for step in steps.values():
            await step()
        if args.profile:
            profile = cProfile.Profile(time.thread_time)
            profile.enable()
            await measured(data, args.logins, login)
            profile.disable()
            if args.dump:
                profile.dump_stats(args.dump)
            stats = pstats.Stats(profile).strip_dirs()
            stats.sort_stats("cumulative").print_stats(60)
            stats.sort_stats("tottime").print_stats(30)
            return
        figures: dict[str, list[tuple[float, float]]] = {name: [] for name in steps}
        for _ in range(args.rounds):
            for name, step in steps.items():
                times = args.logins * (10 if name == "reference" else 1)
                figures[name].append(await measured(data, times, step))
    loop = {name: statistics.median(one[0] for one in rows) for name, rows in figures.items()}
    server = {name: statistics.median(one[1] for one in rows) for name, rows in figures.items()}
    base = loop["reference"]
    print(f"medians of {args.rounds} rounds; event loop thread CPU, PostgreSQL CPU")
    print(f"reference GET /: loop {base:.3f} ms")
    for name in ("login", "login service"):
        print(
            f"{name} (x{args.logins}): loop {loop[name]:.3f} ms ({loop[name] / base:.1f}x the "
            f"reference), PostgreSQL {server[name]:.3f} ms, "
            f"together {loop[name] + server[name]:.3f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--logins", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--dump", help="with --profile: also write the raw profile there")
    args = parser.parse_args()
    with seeded(0) as (cluster, env):
        os.environ.update(env)
        asyncio.run(drive(args, cluster.data))


if __name__ == "__main__":
    main()
