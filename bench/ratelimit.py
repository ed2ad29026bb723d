"""What the rate limiter costs: REST ``me`` and login with limits off, in memory and in Redis.

One PostgreSQL, one Redis, and ``identity serve`` (one worker) started three times in the same
run, the same account and token shape each time; budgets are set far above what wrk can
spend, so every request is counted and none is refused. The three runs alternate for
``--rounds`` rounds (a noisy machine drifts alike for all three); prints the median
requests/s per scenario and the ratio of each limited run to the unlimited one (the target:
at most 10 % off ``me``).

    .venv/bin/python -m bench.ratelimit [--seconds 10] [--connections 16] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
from pathlib import Path

import httpx

from bench.run import BIN, PASSWORD, ensure_wrk, server, wrk
from identity.ratelimit import Budget
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
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
