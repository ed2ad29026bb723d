"""Where the machine's CPU goes under refresh and REST ``me``: server, PostgreSQL, wrk, idle.

Starts a throwaway PostgreSQL and ``identity serve`` as ``bench.run`` does, runs its refresh
(8 chains) and REST ``me`` (16 connections) scenarios once each, and prints per request the
CPU of the server process, of PostgreSQL (the postmaster and its backends) and of wrk, the
machine's idle share, and what PostgreSQL's client backends were doing (sampled every 5 ms
from ``pg_stat_activity``: ``ClientRead`` idle means waiting for the server). On two cores
that everything shares, this says whether a scenario is bound by the server, the database,
the load generator or by waiting.

    .venv/bin/python -m bench.cpu_split [--seconds 10] [--after-logins]

``--after-logins`` runs the refresh scenario again after ``make bench``'s login scenario (one
account, 16 connections), on chains of its own, in the same server.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import resource
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import asyncpg
import httpx

from bench.run import BIN, PASSWORD, ensure_wrk, server, server_env, wrk
from tests.support.postgres import PostgresCluster, free_port

TICKS = os.sysconf("SC_CLK_TCK")
STATES = (
    "SELECT coalesce(wait_event_type, '-') || ':' || coalesce(wait_event, '-') || ':' || state "
    "FROM pg_stat_activity WHERE backend_type = 'client backend' AND datname = 'bench' "
    "AND pid <> pg_backend_pid()"
)


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def postgres_pids(root: Path) -> list[int]:
    """The cluster's postmaster (its command line names the data directory) and children."""
    parents: dict[int, int] = {}
    master = None
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            parents[int(entry.name)] = int(stat[1])
        except (OSError, ValueError):
            continue
        if str(root).encode() in command:
            master = int(entry.name)
    return [] if master is None else [master, *(p for p, up in parents.items() if up == master)]


def machine() -> tuple[float, float]:
    """All CPU seconds and idle ones since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return sum(values) / TICKS, (values[3] + values[4]) / TICKS


def sample_states(dsn: str, stop: threading.Event, counts: collections.Counter[str]) -> None:
    async def run() -> None:
        connection = await asyncpg.connect(dsn)
        while not stop.is_set():
            for (state,) in await connection.fetch(STATES):
                counts[state] += 1
            await asyncio.sleep(0.005)
        await connection.close()

    asyncio.run(run())


def measured(
    name: str, scenario: Callable[[], dict[str, float]], pid: int, cluster: PostgresCluster
) -> None:
    postgres = postgres_pids(cluster.root)
    before = (
        cpu_seconds(pid),
        sum(map(cpu_seconds, postgres)),
        resource.getrusage(resource.RUSAGE_CHILDREN),
        machine(),
    )
    stop = threading.Event()
    counts: collections.Counter[str] = collections.Counter()
    sampler = threading.Thread(target=sample_states, args=(cluster.dsn("bench"), stop, counts))
    sampler.start()
    figures = scenario()
    stop.set()
    sampler.join()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    total, idle = machine()
    count = figures["requests"]
    server_ms = (cpu_seconds(pid) - before[0]) / count * 1000
    postgres_ms = (sum(map(cpu_seconds, postgres_pids(cluster.root))) - before[1]) / count * 1000
    wrk_seconds = (children.ru_utime + children.ru_stime) - (
        before[2].ru_utime + before[2].ru_stime
    )
    idle_share = (idle - before[3][1]) / (total - before[3][0])
    print(
        f"{name}: {figures['rps']:.0f}/s, p50 {figures['p50']:.1f} ms, p99 {figures['p99']:.1f} "
        f"ms, non-2xx {figures['errors']:.0f}; CPU per request: server {server_ms:.3f} ms, "
        f"PostgreSQL {postgres_ms:.3f} ms, wrk {wrk_seconds / count * 1000:.3f} ms; "
        f"machine idle {idle_share:.0%}"
    )
    seen = sum(counts.values()) or 1
    print(
        "  PostgreSQL backends: "
        + ", ".join(f"{state} {n / seen:.0%}" for state, n in counts.most_common(5))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--after-logins", action="store_true")
    args = parser.parse_args()
    ensure_wrk()  # installed before anything is counted
    cluster = PostgresCluster()
    cluster.start()
    cluster.sql("CREATE DATABASE bench")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    workdir = Path(tempfile.mkdtemp(prefix="identity-bench-"))
    env = {**server_env(cluster), "PWD": str(workdir)}
    try:
        with server([str(BIN / "identity"), "serve", "--port", str(port)], env, port) as process:
            user = {"email": "bench@example.com", "password": PASSWORD}
            httpx.post(f"{base}/api/v1/auth/register", json=user).raise_for_status()
            token = httpx.post(f"{base}/api/v1/auth/login", json=user).json()["access_token"]

            def chains(name: str) -> Path:
                tokens = workdir / name
                tokens.write_text(
                    "".join(
                        httpx.post(f"{base}/api/v1/auth/login", json=user).json()["refresh_token"]
                        + "\n"
                        for _ in range(8)
                    )
                )
                return tokens

            def refresh(tokens: Path) -> Callable[[], dict[str, float]]:
                return lambda: wrk(
                    f"{base}/api/v1/auth/refresh",
                    "refresh.lua",
                    env={"WRK_TOKENS": str(tokens)},
                    seconds=args.seconds,
                    connections=8,
                    threads=8,
                )

            first, second = chains("first.txt"), chains("second.txt")
            time.sleep(1)
            measured("refresh (8 chains)", refresh(first), process.pid, cluster)
            if args.after_logins:
                logins = partial(
                    wrk,
                    f"{base}/api/v1/auth/login",
                    "post.lua",
                    env={"WRK_BODY": json.dumps(user)},
                    seconds=args.seconds,
                    connections=16,
                    threads=2,
                )
                measured("login (one account)", logins, process.pid, cluster)
                time.sleep(3)
                measured("refresh after the logins", refresh(second), process.pid, cluster)
            measured(
                "REST me",
                lambda: wrk(
                    f"{base}/api/v1/auth/me",
                    "get.lua",
                    env={"WRK_TOKEN": token},
                    seconds=args.seconds,
                    connections=16,
                    threads=2,
                ),
                process.pid,
                cluster,
            )
    finally:
        cluster.destroy()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
