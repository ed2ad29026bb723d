"""uvicorn against granian for the same app: REST ``me`` and GraphQL ``me`` under wrk.

One PostgreSQL, the app migrated once, then one worker of each server started in turn on
the same database (``--rounds`` rounds, alternating, so a drifting machine hits both alike),
with the bare Starlette app of ``bench.bare`` under each server as the reference. Prints the
median requests/s per server and scenario, and granian's ratio to uvicorn. granian is not a
dependency of the product: install it in the virtualenv to run this (``pip install granian``).

    .venv/bin/python -m bench.servers [--seconds 8] [--connections 16] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

import httpx

from bench.run import BIN, HERE, PASSWORD, ensure_wrk, server, wrk
from tests.support.postgres import PostgresCluster, free_port


def command(kind: str, target: str, port: int) -> list[str]:
    if kind == "uvicorn":
        return [
            *(str(BIN / "uvicorn"), target, "--port", str(port), "--loop", "uvloop"),
            *("--http", "httptools", "--no-access-log", "--log-level", "warning"),
            *(["--factory"] if target.endswith("app_factory") else []),
        ]
    return [
        *(str(BIN / "granian"), "--interface", "asgi", "--port", str(port)),
        *("--loop", "uvloop", "--workers", "1", "--log-level", "warning", "--no-ws"),
        *(["--factory"] if target.endswith("app_factory") else []),
        target,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if shutil.which("granian", path=str(BIN)) is None:
        raise SystemExit("granian is not installed: .venv/bin/pip install granian")
    ensure_wrk()
    cluster = PostgresCluster()
    cluster.start()
    cluster.sql("CREATE DATABASE bench")
    workdir = Path(tempfile.mkdtemp(prefix="identity-servers-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("IDENTITY_")},
        "IDENTITY_ENV": "test",
        "IDENTITY_DATABASE_URL": cluster.url("bench"),
        "IDENTITY_SECRET_KEY": "bench-servers-secret-key-0123456789abcdef",
        "IDENTITY_LOG_LEVEL": "WARNING",
        "IDENTITY_RATE_LIMITS_ENABLED": "false",
        "IDENTITY_AUTO_MIGRATE": "false",
        "PYTHONPATH": str(HERE.parent),
    }
    common = {"seconds": args.seconds, "connections": args.connections, "threads": 2}
    rates: dict[tuple[str, str], list[float]] = {}
    try:
        subprocess.run([str(BIN / "identity"), "migrate"], env=env, cwd=workdir, check=True)
        token = ""
        for _ in range(args.rounds):
            for kind in ("uvicorn", "granian"):
                port = free_port()
                base = f"http://127.0.0.1:{port}"
                with server(command(kind, "bench.bare:app", port), env, port):
                    figure = wrk(f"{base}/", "get.lua", env={}, **common)
                    rates.setdefault((kind, "bare"), []).append(figure["rps"])
                port = free_port()
                base = f"http://127.0.0.1:{port}"
                with server(command(kind, "identity.app:app_factory", port), env, port):
                    if not token:
                        user = {"email": "servers@example.com", "password": PASSWORD}
                        httpx.post(f"{base}/api/v1/auth/register", json=user).raise_for_status()
                        token = httpx.post(f"{base}/api/v1/auth/login", json=user).json()[
                            "access_token"
                        ]
                    figure = wrk(
                        f"{base}/api/v1/auth/me", "get.lua", env={"WRK_TOKEN": token}, **common
                    )
                    rates.setdefault((kind, "REST me"), []).append(figure["rps"])
                    body = json.dumps({"query": "{ me { id email } }"})
                    figure = wrk(
                        f"{base}/graphql",
                        "post.lua",
                        env={"WRK_BODY": body, "WRK_TOKEN": token},
                        **common,
                    )
                    rates.setdefault((kind, "GraphQL me"), []).append(figure["rps"])
    finally:
        cluster.destroy()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nuvicorn against granian: 1 worker, {args.rounds} rounds, median requests/s\n")
    print("| scenario | uvicorn | granian | granian / uvicorn |")
    print("| --- | ---: | ---: | ---: |")
    for scenario in ("bare", "REST me", "GraphQL me"):
        ours = statistics.median(rates[("uvicorn", scenario)])
        theirs = statistics.median(rates[("granian", scenario)])
        print(f"| {scenario} | {ours:.0f} | {theirs:.0f} | {theirs / ours:.2f} |")


if __name__ == "__main__":
    main()
