"""Load figures for users administration: the 100-user page, against a lean reference and
across scales.

Starts a throwaway PostgreSQL, creates a super-admin with ``identity create-admin``, inserts
the accounts in one SQL statement (a sixth of each primary role and status, every tenth with
an extra role, every tenth with a direct grant), starts ``identity serve`` (one worker) and
drives it with wrk:

- REST ``GET /api/v1/users?size=100``, the first page and the last;
- GraphQL ``users(first: 100)`` with the REST page's fields, and with roles and their
  permissions;

then serves the same database from ``bench.reference_users`` (plain Starlette, one asyncpg
pool, orjson, the same statements and JSON: checked equal before timing) and drives its first
and last page. Prints requests/s, p50 and p99 per scenario, our REST page / the reference's,
and GraphQL CPU / REST CPU for the same fields, measured in this process
(``bench.users_profile``). ``--compare-scale`` runs ``--users`` (10,000) and ``--large``
(1,000,000) accounts in one run and prints each page's large figure against its small one.

    .venv/bin/python -m bench.users [--seconds 10] [--connections 16] [--users 10000]
                                    [--compare-scale]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.run import BIN, ensure_wrk, server, wrk
from tests.support.postgres import PostgresCluster, _bin, free_port

ADMIN_EMAIL = "bench-admin@example.com"
ADMIN_PASSWORD = "Bench-Admin-Password-2026!"
PAGE = 100

GRAPHQL_PAGE = (
    f"{{ users(first: {PAGE}) {{ totalCount pageInfo {{ hasNextPage endCursor }} "
    "edges { cursor node { id email firstName lastName role status isActive lastLogin "
    "createdAt roles { name permissions { name } } permissions } } } }"
)

GRAPHQL_REST_FIELDS = (
    f"{{ users(first: {PAGE}) {{ totalCount edges {{ node {{ id email username firstName "
    "lastName displayName organization subscriptionPlan avatarUrl role status isActive "
    "emailVerified lastLogin lockedUntil createdAt updatedAt permissions } } } }"
)
"""The fields of the REST page that GraphQL has, for the CPU ratio."""
SAME_FIELDS_GRAPHQL = f"GraphQL users(first: {PAGE}), the REST page's fields"
SAME_FIELDS_REST = f"REST GET /api/v1/users?size={PAGE}"

SEED_USERS = """
INSERT INTO users (id, email, email_key, username, username_key, first_name, last_name, role_id,
                   status, is_active, email_verified, must_change_password,
                   failed_login_attempts, last_login, created_at, updated_at)
SELECT gen_random_uuid(), 'user' || g || '@example.com', 'user' || g || '@example.com',
       'user' || g, 'user' || g, 'First' || g, 'Last' || (g % 97),
       (SELECT id FROM roles WHERE tenant_id IS NULL
        AND name = (ARRAY['user', 'user', 'user', 'admin1', 'admin2', 'admin3'])[1 + g % 6]),
       (ARRAY['active', 'active', 'active', 'inactive', 'pending', 'locked'])[1 + g % 6],
       g % 6 <> 3, g % 2 = 0, false, 0,
       CASE WHEN g % 4 = 0 THEN now() - g * interval '1 minute' END,
       now() - interval '30 days' + g * interval '1 second', now()
FROM generate_series(1, {count}) AS g
"""
SEED_EXTRA_ROLES = """
INSERT INTO user_roles (user_id, role_id, created_at)
SELECT u.id, r.id, now() FROM users u JOIN roles r ON r.name = 'admin3'
WHERE u.email LIKE 'user%' AND u.role_id <> r.id AND right(u.username, 1) = '0'
"""
SEED_GRANTS = """
INSERT INTO user_permissions (user_id, permission_id, created_at)
SELECT u.id, p.id, now() FROM users u JOIN permissions p ON p.name = 'reports:read'
WHERE u.email LIKE 'user%' AND right(u.username, 1) = '5'
"""


Figures = dict[str, dict[str, float]]
FIRST = f"REST /api/v1/users?size={PAGE} first page"
LAST = f"REST /api/v1/users?skip=N-{PAGE}&limit={PAGE} last page"
REFERENCE_FIRST = "reference, first page"
REFERENCE_LAST = "reference, last page"
GRAPHQL_SAME = f"GraphQL users(first: {PAGE}), the REST page's fields"
GRAPHQL_FULL = f"GraphQL users(first: {PAGE}) + roles + permissions"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument(
        "--compare-scale", action="store_true", help="10,000 and 1,000,000 accounts, one run"
    )
    parser.add_argument(
        "--large", type=int, default=1_000_000, help="the large size of --compare-scale"
    )
    args = parser.parse_args()
    ensure_wrk()
    sizes = [args.users, args.large] if args.compare_scale else [args.users]
    common = {"seconds": args.seconds, "connections": args.connections, "threads": 2}
    by_size: dict[int, Figures] = {}
    cpu_ratio: float | None = None
    cluster = PostgresCluster()
    try:
        cluster.start()
        for size in sizes:
            env = prepare(cluster, f"bench_users_{size}", size)
            by_size[size] = drive(cluster, env, f"bench_users_{size}", size, common)
            if cpu_ratio is None:
                cpu_ratio = in_process_ratio(env, size)
    finally:
        cluster.destroy()

    print(
        f"\nidentity users bench: 1 worker, PostgreSQL, {args.connections} connections, "
        f"{args.seconds}s per scenario, {os.cpu_count()} cores\n"
    )
    print("| accounts | scenario | requests/s | p50 ms | p99 ms | non-2xx |")
    print("| ---: | --- | ---: | ---: | ---: | ---: |")
    for size, figures in by_size.items():
        for name, row in figures.items():
            print(
                f"| {size:,} | {name} | {row['rps']:.0f} | {row['p50']:.2f} | {row['p99']:.2f} "
                f"| {row['errors']:.0f} |"
            )
    print()
    for size, figures in by_size.items():
        for ours, theirs in ((FIRST, REFERENCE_FIRST), (LAST, REFERENCE_LAST)):
            ratio = figures[ours]["rps"] / figures[theirs]["rps"]
            print(f"{size:,} accounts: {ours} / the reference's: {ratio:.0%} (target >= 50%)")
    print(
        "(the reference counts on every request; the product reuses a count up to "
        "IDENTITY_USERS_TOTAL_CACHE_SECONDS old)"
    )
    if cpu_ratio is not None:
        print(
            f"GraphQL CPU / REST CPU, the same fields of {PAGE} users (in-process): "
            f"{cpu_ratio:.2f}x (target <= 1.5x)"
        )
    if len(by_size) == 2:
        small, large = (by_size[size] for size in sorted(by_size))
        for name in small:
            ratio = large[name]["rps"] / small[name]["rps"]
            print(
                f"{name}: {max(sizes):,} accounts / {min(sizes):,}: {ratio:.0%} of the "
                "requests/s (target within 20%)"
            )


def prepare(cluster: PostgresCluster, database: str, users: int) -> dict[str, str]:
    """A database of ``cluster`` holding the super-admin and ``users`` accounts, and the
    environment an ``identity`` process needs to use it."""
    workdir = Path(tempfile.mkdtemp(prefix="identity-bench-users-"))
    try:
        cluster.sql(f"CREATE DATABASE {database}")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("IDENTITY_")},
            "IDENTITY_ENV": "test",
            "IDENTITY_DATABASE_URL": cluster.url(database),
            "IDENTITY_SECRET_KEY": secrets.token_urlsafe(48),
            "IDENTITY_LOG_LEVEL": "WARNING",
            "IDENTITY_RATE_LIMITS_ENABLED": "false",
        }
        # create-admin migrates the empty database first, then creates the super-admin.
        subprocess.run(
            [
                str(BIN / "identity"),
                "create-admin",
                "--email",
                ADMIN_EMAIL,
                "--password",
                ADMIN_PASSWORD,
            ],
            env=env,
            cwd=workdir,
            check=True,
            capture_output=True,
        )
        for statement in (SEED_USERS.format(count=users), SEED_EXTRA_ROLES, SEED_GRANTS):
            psql(cluster, statement, database)
        psql(cluster, "VACUUM ANALYZE", database)
        return env
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def drive(
    cluster: PostgresCluster, env: dict[str, str], database: str, users: int, common: Any
) -> Figures:
    """Our server, then the reference, on the same database, each driven by wrk."""
    figures: Figures = {}
    # the last hundred accounts (the super-admin is one more)
    first_path = f"/api/v1/users?size={PAGE}"
    last_path = f"/api/v1/users?skip={users + 1 - PAGE}&limit={PAGE}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with server([str(BIN / "identity"), "serve", "--port", str(port)], env, port):
        login = httpx.post(
            f"{base}/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        login.raise_for_status()
        token = login.json()["access_token"]
        check_graphql(base, token, users)
        check_rest(base, token, users)
        ours = {path: get_json(base + path, token) for path in (first_path, last_path)}
        figures[FIRST] = wrk(base + first_path, "get.lua", env={"WRK_TOKEN": token}, **common)
        figures[LAST] = wrk(base + last_path, "get.lua", env={"WRK_TOKEN": token}, **common)
        for name, document in ((GRAPHQL_SAME, GRAPHQL_REST_FIELDS), (GRAPHQL_FULL, GRAPHQL_PAGE)):
            figures[name] = wrk(
                f"{base}/graphql",
                "post.lua",
                env={"WRK_BODY": json.dumps({"query": document}), "WRK_TOKEN": token},
                **common,
            )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    reference = [
        *(str(BIN / "python"), "-m", "bench.serve_app", "bench.reference_users:app"),
        *("--port", str(port)),
    ]
    reference_env = {
        **env,
        "IDENTITY_REFERENCE_DSN": cluster.dsn(database),
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
    }
    with server(reference, reference_env, port):
        for path, answer in ours.items():
            assert get_json(base + path, "") == answer, f"the reference answers {path} otherwise"
        figures[REFERENCE_FIRST] = wrk(
            base + first_path, "get.lua", env={"WRK_TOKEN": ""}, **common
        )
        figures[REFERENCE_LAST] = wrk(base + last_path, "get.lua", env={"WRK_TOKEN": ""}, **common)
    return figures


def in_process_ratio(env: dict[str, str], users: int) -> float | None:
    """GraphQL CPU / REST CPU for the same fields, in this process (``bench.users_profile``)."""
    from bench import users_profile

    saved = dict(os.environ)
    try:
        figures = asyncio.run(
            users_profile.measure(
                env, requests=10, batches=5, only="the REST page's fields", users=users
            )
        )
        figures.update(
            asyncio.run(
                users_profile.measure(
                    env, requests=10, batches=5, only=SAME_FIELDS_REST, users=users, quiet=True
                )
            )
        )
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return users_profile.cpu_ratio(figures)


def get_json(url: str, token: str) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.get(url, headers=headers, timeout=60)
    response.raise_for_status()
    return response.json()


@contextmanager
def seeded(users: int) -> Iterator[tuple[PostgresCluster, dict[str, str]]]:
    """A throwaway PostgreSQL holding the super-admin and ``users`` accounts, and the
    environment an ``identity`` process needs to use it; destroyed on exit."""
    cluster = PostgresCluster()
    try:
        cluster.start()
        yield cluster, prepare(cluster, "bench_users", users)
    finally:
        cluster.destroy()


def psql(cluster: PostgresCluster, statement: str, database: str = "bench_users") -> None:
    subprocess.run(
        [_bin("psql"), cluster.dsn(database), "-v", "ON_ERROR_STOP=1", "-qc", statement],
        check=True,
        capture_output=True,
    )


def check_graphql(base: str, token: str, users: int) -> None:
    """The scenario answers what it claims before it is timed."""
    body = httpx.post(
        f"{base}/graphql",
        json={"query": GRAPHQL_PAGE},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json()
    assert "errors" not in body, body
    page = body["data"]["users"]
    assert page["totalCount"] == users + 1, page["totalCount"]
    assert len(page["edges"]) == PAGE
    assert all(edge["node"]["roles"] for edge in page["edges"])


def check_rest(base: str, token: str, users: int) -> None:
    response = httpx.get(
        f"{base}/api/v1/users?size={PAGE}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    response.raise_for_status()
    assert response.json()["total"] == users + 1
    assert len(response.json()["items"]) == PAGE


if __name__ == "__main__":
    main()
