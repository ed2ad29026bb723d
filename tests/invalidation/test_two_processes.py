"""Two ``identity serve`` processes on one PostgreSQL database, each with its principal cache:
every kind of revocation made through A is refused at once by B, which had the caller cached,
also while B's listener is reconnecting (its cache is bypassed meanwhile)."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest

from identity.invalidation.channel import APPLICATION_NAME
from tests.ratelimit.test_two_replicas import ADMIN, BIN, start_servers
from tests.support.postgres import PostgresCluster

PASSWORD = "SecurePassword123!"
ME = "/api/v1/auth/me"
_emails = itertools.count()

Pair = tuple[str, str, int, str]
"""A's URL, B's URL, B's process id, the database URL."""


@pytest.fixture(scope="module")
def pair(
    postgres: PostgresCluster, postgres_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pair]:
    folder = tmp_path_factory.mktemp("two-processes")
    postgres.clone("two_processes", postgres_template)
    database_url = postgres.url("two_processes")
    env = {
        **os.environ,
        "IDENTITY_ENV": "test",
        "IDENTITY_DATABASE_URL": database_url,
        "IDENTITY_AUTO_MIGRATE": "false",
        "IDENTITY_SECRET_KEY": "two-processes-share-this-secret-0123456789",
        "IDENTITY_RATE_LIMITS_ENABLED": "false",
        "IDENTITY_DATA_DIR": str(folder),
    }
    subprocess.run(
        [str(BIN / "identity"), "create-admin", "--email", ADMIN["email"]],
        input=ADMIN["password"].encode(),
        env=env,
        check=True,
        capture_output=True,
    )
    servers = start_servers(env, Path(folder), 2)
    try:
        (_, a), (b_process, b) = servers
        yield a, b, b_process.pid, database_url
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=30)
        postgres.drop_later("two_processes")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(base: str, email: str, password: str = PASSWORD) -> str:
    response = httpx.post(f"{base}/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["tokens"]["access_token"])


def signed_up(a: str) -> tuple[str, str, str]:
    """(email, user id, access token) of a new account, signed in on A."""
    email = f"user{next(_emails)}@example.com"
    created = httpx.post(f"{a}/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert created.status_code == 201, created.text
    token = login(a, email)
    user_id = httpx.get(f"{a}{ME}", headers=bearer(token)).json()["id"]
    return email, str(user_id), token


def hits(base: str) -> float:
    text = httpx.get(f"{base}/metrics").text
    found = re.search(r'^identity_principal_cache_total\{outcome="hit"\} (\S+)$', text, re.M)
    assert found, text[:500]
    return float(found.group(1))


def cached_on(b: str, token: str) -> None:
    """B answers the token, the second time from its cache."""
    assert httpx.get(f"{b}{ME}", headers=bearer(token)).status_code == 200
    before = hits(b)
    assert httpx.get(f"{b}{ME}", headers=bearer(token)).status_code == 200
    assert hits(b) == before + 1


Revoke = Callable[[str, str, str, str, str], None]
"""(A, admin token, email, user id, the user's token) → the revocation, made on A."""


def _admin(method: str, path: str, body: object = None) -> Revoke:
    def revoke(a: str, admin: str, _email: str, user_id: str, _token: str) -> None:
        sent = None if body is None else eval_body(body, user_id)
        response = httpx.request(
            method, f"{a}{path.format(id=user_id)}", json=sent, headers=bearer(admin)
        )
        assert response.status_code < 300, response.text

    return revoke


def eval_body(body: object, user_id: str) -> object:
    if isinstance(body, dict):
        return {key: eval_body(value, user_id) for key, value in body.items()}
    if isinstance(body, list):
        return [eval_body(value, user_id) for value in body]
    return user_id if body == "{id}" else body


def _logout(a: str, _admin: str, _email: str, _user: str, token: str) -> None:
    assert httpx.post(f"{a}/api/v1/auth/logout", headers=bearer(token)).status_code == 204


def _revoke_all(a: str, _admin: str, _email: str, _user: str, token: str) -> None:
    response = httpx.post(f"{a}/v1/auth/revoke-all-sessions", headers=bearer(token))
    assert response.status_code == 200, response.text


def _password(a: str, _admin: str, email: str, _user: str, _token: str) -> None:
    other = login(a, email)
    new = "Another-Secure-Password-2026!"
    response = httpx.post(
        f"{a}/api/v1/auth/change-password",
        json={"current_password": PASSWORD, "new_password": new, "confirm_password": new},
        headers=bearer(other),
    )
    assert response.status_code == 200, response.text


REVOCATIONS: dict[str, Revoke] = {
    "logout": _logout,
    "revoke all": _revoke_all,
    "password change": _password,
    "lock": _admin("POST", "/api/v1/users/{id}/lock", {"reason": "r"}),
    "deactivate": _admin("PATCH", "/api/v1/users/{id}", {"is_active": False}),
    "status": _admin("PATCH", "/api/v1/users/{id}", {"status": "inactive"}),
    "delete": _admin("DELETE", "/api/v1/users/{id}"),
    "bulk deactivate": _admin(
        "POST", "/api/v1/users/bulk-actions", {"user_ids": ["{id}"], "action": "deactivate"}
    ),
}


def test_each_revocation_on_a_is_refused_at_once_by_b(pair: Pair) -> None:
    a, b, _pid, _url = pair
    admin = login(a, ADMIN["email"], ADMIN["password"])
    for name, revoke in REVOCATIONS.items():
        email, user_id, token = signed_up(a)
        cached_on(b, token)

        revoke(a, admin, email, user_id, token)

        refused = httpx.get(f"{b}{ME}", headers=bearer(token))
        assert refused.status_code == 401, (name, refused.text)


async def _end_listener(database_url: str, pid: int) -> None:
    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn)
    try:
        ended = await connection.fetchval(
            "SELECT bool_and(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
            "WHERE application_name = $1",
            f"{APPLICATION_NAME} {pid}",
        )
        assert ended, "B's listener was not found"
    finally:
        await connection.close()


def test_a_revocation_while_bs_listener_reconnects_is_refused(pair: Pair) -> None:
    a, b, b_pid, database_url = pair
    email, _user_id, token = signed_up(a)
    cached_on(b, token)

    asyncio.run(_end_listener(database_url, b_pid))
    _logout(a, "", email, "", token)

    assert httpx.get(f"{b}{ME}", headers=bearer(token)).status_code == 401
    # reconnected (first retry after 0.1 s): B's cache serves again
    _email, _user_id, fresh = signed_up(a)
    for _ in range(100):
        assert httpx.get(f"{b}{ME}", headers=bearer(fresh)).status_code == 200
        before = hits(b)
        assert httpx.get(f"{b}{ME}", headers=bearer(fresh)).status_code == 200
        if hits(b) == before + 1:
            break
    else:
        pytest.fail("B's cache did not serve again after its listener reconnected")
