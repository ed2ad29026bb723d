"""Load figures for core authentication, on PostgreSQL, one server worker.

Starts a throwaway PostgreSQL and ``identity serve``, drives it with wrk from separate
processes, and prints requests/s, p50 and p99 per scenario, next to two ceilings measured
in the same run: argon2id verifications/s and a bare Starlette JSON endpoint.

    .venv/bin/python -m bench.run [--seconds 10] [--connections 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from identity.security.passwords import PasswordHasher
from tests.support.postgres import PostgresCluster, free_port

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
PASSWORD = "Bench-Password-2026!"
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    return "wrk"


@contextmanager
def server(command: list[str], env: dict[str, str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(600):
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def wrk(
    url: str, script: str, *, seconds: int, connections: int, threads: int, env: dict[str, str]
) -> dict[str, float]:
    result = subprocess.run(
        [
            ensure_wrk(),
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(HERE / script),
            url,
        ],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    out = result.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def percentile(name: str) -> float:
        value, unit = re.search(rf"\s{name}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * UNITS[unit]

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    total = re.search(r"(\d+) requests in", out)
    return {
        "rps": rate,
        "p50": percentile("50"),
        "p99": percentile("99"),
        "errors": float(non2xx.group(1)) if non2xx else 0.0,
        "requests": float(total.group(1)) if total else 0.0,
    }


async def argon2_ceiling(seconds: float) -> float:
    """Verifications per second with the server's pool (one thread per core)."""
    hasher = PasswordHasher()
    encoded = await hasher.hash(PASSWORD)
    workers = os.cpu_count() or 2
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await hasher.verify(encoded, PASSWORD)
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    elapsed = time.perf_counter() - started
    hasher.close()
    return done / elapsed


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def server_env(cluster: PostgresCluster) -> dict[str, str]:
    """The environment the bench runs ``identity serve`` in, on ``cluster``'s ``bench``."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("IDENTITY_")},
        "IDENTITY_ENV": "test",
        "IDENTITY_DATABASE_URL": cluster.url("bench"),
        "IDENTITY_LOG_LEVEL": "WARNING",
        "IDENTITY_LOCKOUT_THRESHOLD": "1000000",
        "IDENTITY_RATE_LIMITS_ENABLED": "false",  # bench.ratelimit measures the limiter
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    ensure_wrk()

    cluster = PostgresCluster()
    cluster.start()
    cluster.sql("CREATE DATABASE bench")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    workdir = Path(tempfile.mkdtemp(prefix="identity-bench-"))
    env = server_env(cluster)
    figures: dict[str, dict[str, float]] = {}
    common = {"seconds": args.seconds, "connections": args.connections, "threads": 2}
    try:
        ceiling = asyncio.run(argon2_ceiling(5))
        bare_port = free_port()
        with server(
            [
                *(str(BIN / "python"), "-m", "bench.serve_app"),
                "bench.bare:app",
                "--port",
                str(bare_port),
            ],
            {**env, "PYTHONPATH": str(HERE.parent)},
            bare_port,
        ):
            figures["bare starlette JSON"] = wrk(
                f"http://127.0.0.1:{bare_port}/", "get.lua", env={}, **common
            )

        with server(
            [str(BIN / "identity"), "serve", "--port", str(port)],
            {**env, "PWD": str(workdir)},
            port,
        ) as process:
            user = {"email": "bench@example.com", "password": PASSWORD}
            httpx.post(f"{base}/api/v1/auth/register", json=user).raise_for_status()
            login = httpx.post(f"{base}/api/v1/auth/login", json=user).json()
            token = login["access_token"]
            tokens_file = workdir / "tokens.txt"
            tokens_file.write_text(
                "\n".join(
                    httpx.post(f"{base}/api/v1/auth/login", json=user).json()["refresh_token"]
                    for _ in range(8)
                )
                + "\n"
            )
            body = json.dumps(user)
            figures["login (REST)"] = wrk(
                f"{base}/api/v1/auth/login", "post.lua", env={"WRK_BODY": body}, **common
            )
            figures["refresh (REST, 8 chains)"] = wrk(
                f"{base}/api/v1/auth/refresh",
                "refresh.lua",
                env={"WRK_TOKENS": str(tokens_file)},
                seconds=args.seconds,
                connections=8,
                threads=8,
            )
            graphql_me = json.dumps({"query": "{ me { id email } }"})
            figures["GraphQL me"] = wrk(
                f"{base}/graphql",
                "post.lua",
                env={"WRK_BODY": graphql_me, "WRK_TOKEN": token},
                **common,
            )
            figures["REST /api/v1/auth/me"] = wrk(
                f"{base}/api/v1/auth/me", "get.lua", env={"WRK_TOKEN": token}, **common
            )
            logins = figures["login (REST)"]["requests"]
            while logins < 10_000:
                extra = wrk(
                    f"{base}/api/v1/auth/login", "post.lua", env={"WRK_BODY": body}, **common
                )
                logins += extra["requests"]
            # wrk stops with up to --connections logins still being checked, each holding
            # argon2's 19 MiB: read what the server keeps once they are answered.
            time.sleep(3)
            memory = rss_mb(process.pid)
    finally:
        cluster.destroy()
        shutil.rmtree(workdir, ignore_errors=True)

    print(
        f"\nidentity bench: 1 worker, PostgreSQL, {args.connections} connections, "
        f"{args.seconds}s per scenario, {os.cpu_count()} cores\n"
    )
    print("| scenario | requests/s | p50 ms | p99 ms | non-2xx |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, row in figures.items():
        print(
            f"| {name} | {row['rps']:.0f} | {row['p50']:.2f} | {row['p99']:.2f} "
            f"| {row['errors']:.0f} |"
        )
    login_rps = figures["login (REST)"]["rps"]
    bare = figures["bare starlette JSON"]["rps"]
    print(f"\nargon2id ceiling: {ceiling:.1f} verifications/s ({os.cpu_count()} threads)")
    print(f"login / argon2 ceiling: {login_rps / ceiling:.0%}")
    print(f"GraphQL me / bare Starlette: {figures['GraphQL me']['rps'] / bare:.0%}")
    print(f"REST me / bare Starlette: {figures['REST /api/v1/auth/me']['rps'] / bare:.0%}")
    print(f"server RSS after {logins:.0f} logins: {memory:.0f} MB")


if __name__ == "__main__":
    main()
