"""Load figures for users administration: the 100-user page with roles and permissions.

Starts a throwaway PostgreSQL, creates a super-admin with ``identity create-admin``, inserts
10,000 accounts in one SQL statement (a third of them administrators, every tenth with an
extra role and a direct grant), starts ``identity serve`` (one worker) and drives with wrk:

- GraphQL ``users(first: 100) { ... roles { permissions { name } } permissions }``
- REST ``GET /api/v1/users?size=100`` (each item with its effective permissions)

and prints requests/s, p50 and p99 per scenario.

    .venv/bin/python -m bench.users [--seconds 10] [--connections 16] [--users 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--users", type=int, default=10_000)
    args = parser.parse_args()
    ensure_wrk()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    figures: dict[str, dict[str, float]] = {}
    common = {"seconds": args.seconds, "connections": args.connections, "threads": 2}
    with (
        seeded(args.users) as (_cluster, env),
        server([str(BIN / "identity"), "serve", "--port", str(port)], env, port),
    ):
        login = httpx.post(
            f"{base}/api/v1/auth/login",
            json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        )
        login.raise_for_status()
        token = login.json()["access_token"]
        check_graphql(base, token, args.users)
        check_rest(base, token, args.users)

        figures["GraphQL users(first: 100) + roles + permissions"] = wrk(
            f"{base}/graphql",
            "post.lua",
            env={"WRK_BODY": json.dumps({"query": GRAPHQL_PAGE}), "WRK_TOKEN": token},
            **common,
        )
        figures["REST GET /api/v1/users?size=100"] = wrk(
            f"{base}/api/v1/users?size={PAGE}", "get.lua", env={"WRK_TOKEN": token}, **common
        )

    print(
        f"\nidentity users bench: {args.users} users, 1 worker, PostgreSQL, "
        f"{args.connections} connections, {args.seconds}s per scenario, {os.cpu_count()} cores\n"
    )
    print("| scenario | requests/s | p50 ms | p99 ms | non-2xx |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, row in figures.items():
        print(
            f"| {name} | {row['rps']:.0f} | {row['p50']:.2f} | {row['p99']:.2f} "
            f"| {row['errors']:.0f} |"
        )


@contextmanager
def seeded(users: int) -> Iterator[tuple[PostgresCluster, dict[str, str]]]:
    """A throwaway PostgreSQL holding the super-admin and ``users`` accounts, and the
    environment an ``identity`` process needs to use it; destroyed on exit."""
    cluster = PostgresCluster()
    workdir = Path(tempfile.mkdtemp(prefix="identity-bench-users-"))
    try:
        cluster.start()
        cluster.sql("CREATE DATABASE bench_users")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("IDENTITY_")},
            "IDENTITY_ENV": "test",
            "IDENTITY_DATABASE_URL": cluster.url("bench_users"),
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
            psql(cluster, statement)
        psql(cluster, "ANALYZE")
        yield cluster, env
    finally:
        cluster.destroy()
        shutil.rmtree(workdir, ignore_errors=True)


def psql(cluster: PostgresCluster, statement: str) -> None:
    subprocess.run(
        [_bin("psql"), cluster.dsn("bench_users"), "-v", "ON_ERROR_STOP=1", "-qc", statement],
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
