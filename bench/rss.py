"""Where the server's memory goes: its RSS at each stage of a login-heavy run.

Starts a throwaway PostgreSQL and ``identity serve`` (one worker, the settings of
``make bench``), then prints the server's resident memory (VmRSS, and from
``/proc/PID/smaps_rollup`` its anonymous and file-backed parts, plus the thread count) at:

- startup, before any request;
- after 100, 1,000, 3,000 and ``--logins`` (10,000) logins from ``--clients`` (16) parallel
  clients, as the bench, each read once every answer has arrived, with the highest RSS
  sampled while the logins ran (two argon2 blocks of 19 MiB are resident while two checks
  run, whatever the allocator does with them afterwards) and the stage's logins per second;
- after ``--me`` (3,000) REST ``me`` and as many GraphQL ``me`` calls.

``make bench`` reads the RSS as soon as its last wrk run returns, while the requests wrk
left in flight may still be hashing: ``--abandon`` adds that reading (``--clients`` logins
sent at once, the RSS 20 ms later and the highest until they are answered, then once idle).

``--env NAME=VALUE`` (repeatable) adds a variable to the server's environment, e.g.
``--env MALLOC_ARENA_MAX=2``; ``--maps`` lists the largest anonymous mappings at the end
(the argon2 threads' malloc arenas show as 64 MiB reservations of which ~19 MiB is resident).
Figures only: nothing here asserts a size or a time.

    .venv/bin/python -m bench.rss [--logins 10000] [--clients 16] [--me 3000] [--env K=V]
        [--maps] [--abandon]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import tempfile
import time
from collections.abc import Awaitable, Mapping
from pathlib import Path
from typing import Any

import httpx

from bench.run import BIN, PASSWORD, server
from tests.support.postgres import PostgresCluster, free_port

STAGES = (100, 1_000, 3_000)
"""Login counts at which the RSS is read on the way to ``--logins``."""


def memory(pid: int) -> dict[str, float]:
    """VmRSS, anonymous and file-backed resident memory (MB) and the thread count."""
    figures: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            figures["rss"] = int(line.split()[1]) / 1024
        elif line.startswith("Threads:"):
            figures["threads"] = float(line.split()[1])
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:
        return figures
    fields = {line.split()[0].rstrip(":"): line.split()[1] for line in rollup[1:] if line}
    anonymous = int(fields.get("Anonymous", 0)) / 1024
    figures["anon"] = anonymous
    figures["file"] = int(fields.get("Rss", 0)) / 1024 - anonymous
    return figures


def largest_anonymous(pid: int, count: int = 12) -> list[tuple[float, float, str]]:
    """(resident MB, size MB, range) of the largest resident anonymous mappings."""
    found: list[tuple[float, float, str]] = []
    header = ""
    size = rss = 0
    anonymous = False

    def flush() -> None:
        if header and anonymous:
            found.append((rss / 1024, size / 1024, header))

    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        parts = line.split()
        if parts and "-" in parts[0] and not parts[0].endswith(":"):
            flush()
            header = " ".join(parts[:1] + parts[5:])
            anonymous = len(parts) < 6 or parts[5] in ("[heap]", "[stack]")
            size = rss = 0
        elif parts and parts[0] == "Size:":
            size = int(parts[1])
        elif parts and parts[0] == "Rss:":
            rss = int(parts[1])
    flush()
    return sorted(found, reverse=True)[:count]


def show(stage: str, pid: int, peak: float | None = None, rate: float | None = None) -> None:
    figures = memory(pid)
    parts = [f"RSS {figures['rss']:6.1f} MB"]
    if peak is not None:
        parts.append(f"peak during {peak:6.1f} MB")
    if rate is not None:
        parts.append(f"{rate:5.1f}/s")
    if "anon" in figures:
        parts.append(f"anon {figures['anon']:6.1f} MB")
        parts.append(f"file {figures['file']:5.1f} MB")
    parts.append(f"threads {figures.get('threads', 0):.0f}")
    print(f"| {stage:<34} | {' | '.join(parts)} |", flush=True)


async def sampled(pid: int, work: Awaitable[int]) -> tuple[int, float]:
    """``work``'s result and the highest VmRSS (MB) sampled every 0.2 s while it ran."""
    peak = memory(pid)["rss"]
    task = asyncio.ensure_future(work)
    while not task.done():
        await asyncio.wait([task], timeout=0.2)
        peak = max(peak, memory(pid)["rss"])
    return task.result(), peak


async def abandoned(
    base: str, pid: int, clients: int, request: Mapping[str, Any]
) -> tuple[float, float]:
    """RSS 20 ms after ``clients`` requests were sent, and the highest until all answered."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        pending = asyncio.gather(*(http.request(**request) for _ in range(clients)))
        await asyncio.sleep(0.02)
        first = peak = memory(pid)["rss"]
        while not pending.done():
            await asyncio.wait([pending], timeout=0.01)
            peak = max(peak, memory(pid)["rss"])
        await pending
    return first, peak


async def drive(base: str, calls: int, clients: int, request: Mapping[str, Any]) -> int:
    """``calls`` requests spread over ``clients`` connections; returns how many were 2xx."""
    remaining = calls
    succeeded = 0

    async def client() -> None:
        nonlocal remaining, succeeded
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            while remaining > 0:
                remaining -= 1
                response = await http.request(**request)
                succeeded += response.is_success

    await asyncio.gather(*(client() for _ in range(clients)))
    return succeeded


def run(args: argparse.Namespace) -> None:
    cluster = PostgresCluster()
    cluster.start()
    cluster.sql("CREATE DATABASE bench")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    workdir = Path(tempfile.mkdtemp(prefix="identity-rss-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("IDENTITY_")},
        "IDENTITY_ENV": "test",
        "IDENTITY_DATABASE_URL": cluster.url("bench"),
        "IDENTITY_LOG_LEVEL": "WARNING",
        "IDENTITY_LOCKOUT_THRESHOLD": "1000000",
        "IDENTITY_RATE_LIMITS_ENABLED": "false",
        "PWD": str(workdir),
        **dict(pair.split("=", 1) for pair in args.env),
    }
    user = {"email": "rss@example.com", "password": PASSWORD}
    login = {"method": "POST", "url": "/api/v1/auth/login", "json": user}
    try:
        with server([str(BIN / "identity"), "serve", "--port", str(port)], env, port) as process:
            pid = process.pid
            tunables = [
                entry.decode()
                for entry in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
                if entry.startswith(b"GLIBC_TUNABLES=")
            ]
            print(f"\nidentity serve, 1 worker, PostgreSQL; extra env: {args.env or 'none'}")
            print(f"server's allocator tunables: {tunables or 'none'}\n")
            print(f"| {'stage':<34} | memory |")
            print("| --- | --- |")
            show("startup (GET / only)", pid)
            httpx.post(f"{base}/api/v1/auth/register", json=user).raise_for_status()
            done = 0
            for milestone in sorted({m for m in STAGES if m < args.logins} | {args.logins}):
                started = time.monotonic()
                more, peak = asyncio.run(
                    sampled(pid, drive(base, milestone - done, args.clients, login))
                )
                done += more
                show(f"after {done} logins", pid, peak, more / (time.monotonic() - started))
            if args.abandon:
                early, peak = asyncio.run(abandoned(base, pid, args.clients, login))
                print(
                    f"| {'a burst of logins in flight':<34} | RSS 20 ms after {early:6.1f} MB"
                    f" | highest {peak:6.1f} MB |"
                )
                show("the same burst answered", pid)
            token = httpx.post(f"{base}/api/v1/auth/login", json=user).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            rest = {"method": "GET", "url": "/api/v1/auth/me", "headers": headers}
            graphql = {
                "method": "POST",
                "url": "/graphql",
                "headers": {**headers, "Content-Type": "application/json"},
                "content": json.dumps({"query": "{ me { id email } }"}),
            }
            calls = asyncio.run(drive(base, args.me, args.clients, rest))
            calls += asyncio.run(drive(base, args.me, args.clients, graphql))
            show(f"after {calls} REST+GraphQL me", pid)
            if args.maps:
                print("\nlargest anonymous mappings (resident MB / size MB):")
                for resident, size, where in largest_anonymous(pid):
                    print(f"  {resident:6.1f} / {size:6.1f}  {where}")
    finally:
        cluster.destroy()
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--logins", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--me", type=int, default=3_000)
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--maps", action="store_true")
    parser.add_argument("--abandon", action="store_true")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
