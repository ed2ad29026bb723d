"""The REST listings' recent total (``users_admin.counts``): reused between requests, never
counting an account deleted (or leaving out one created, or keeping one whose state no
longer matches) once the change has answered, even when lists run beside it. SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from identity.config import Settings
from identity.services.users_admin.counts import changes_counts
from tests.factories import add_user, root
from tests.support.http import bearer
from tests.support.statements import counting


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """A total kept long enough for a loaded machine: these tests are about reuse and
    invalidation, never about the TTL running out between two requests."""
    return make_settings(users_total_cache_seconds=300)


async def total(client: httpx.AsyncClient, token: str, query: str = "") -> int:
    response = await client.get(f"/api/v1/users?size=1&{query}", headers=bearer(token))
    assert response.status_code == 200, response.text
    found: int = response.json()["total"]
    return found


async def test_a_total_is_reused_until_a_change(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)
    victim = await add_user(app)
    assert await total(client, token) == 2

    with counting(app) as reused:
        assert await total(client, token) == 2
    deleted = await client.delete(f"/api/v1/users/{victim}", headers=bearer(token))
    assert deleted.status_code == 204, deleted.text

    assert not any("count(" in one.lower() for one in reused.queries)
    assert await total(client, token) == 1
    created = await client.post(
        "/api/v1/users",
        json={"email": "new@example.com", "password": "A-Strong-Password-2026!"},
        headers=bearer(token),
    )
    assert created.status_code == 201, created.text
    assert await total(client, token) == 2


async def test_a_state_change_moves_the_filtered_totals(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await root(app)
    user = await add_user(app)
    assert await total(client, token, "status=inactive") == 0
    assert await total(client, token, "role=admin1") == 0

    changed = await client.patch(
        f"/api/v1/users/{user}",
        json={"status": "inactive", "role": "admin1"},
        headers=bearer(token),
    )
    assert changed.status_code == 200, changed.text

    assert await total(client, token, "status=inactive") == 1
    assert await total(client, token, "role=admin1") == 1
    assert await total(client, token) == 2


async def test_lists_beside_deletes_never_count_the_deleted_afterwards(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await root(app)
    victims = [await add_user(app) for _ in range(3)]
    assert await total(client, token) == 4

    async def delete(user_id: object) -> None:
        response = await client.delete(f"/api/v1/users/{user_id}", headers=bearer(token))
        assert response.status_code == 204, response.text
        assert await total(client, token) <= 3  # this one is gone, whatever the others do

    await asyncio.gather(
        *(delete(one) for one in victims), *(total(client, token) for _ in range(6))
    )

    assert await total(client, token) == 1


@pytest.mark.parametrize(
    ("statement", "changes"),
    [
        ("SELECT count(*) FROM users", False),
        ("SELECT users.id FROM users WHERE users.id = $1 FOR UPDATE", False),
        ("UPDATE users SET last_login=$1, failed_login_attempts=$2 WHERE users.id = $3", False),
        ("UPDATE sessions SET revoked_at=? WHERE sessions.user_id = ?", False),
        ("INSERT INTO audit_events (id) VALUES (?)", False),
        ("UPDATE users SET status=?, is_active=?, updated_at=? WHERE users.id = ?", True),
        ("UPDATE users SET role_id=$1::UUID WHERE users.id = $2::UUID", True),
        ("INSERT INTO users (id, email) VALUES (?, ?)", True),
        ("DELETE FROM users WHERE users.id = ?", True),
        ("INSERT INTO user_roles (user_id, role_id) VALUES (?, ?)", True),
        ("DELETE FROM tenant_members WHERE tenant_members.user_id = ?", True),
        ("UPDATE roles SET name=? WHERE roles.id = ?", True),
        ("WITH gone AS (DELETE FROM users WHERE id = $1 RETURNING id) SELECT 1", True),
    ],
)
def test_which_statements_end_the_recent_totals(statement: str, changes: bool) -> None:
    assert changes_counts(statement) is changes
