"""Listing users costs a fixed number of SQL statements, however many users the page holds:
5 or 50 users with roles, role permissions and direct grants. SQLite and PostgreSQL.

Transaction control (SQLite's BEGIN per read session) is not counted, nor what knowing the
caller costs (the principal and its permissions: another capability's figures, read on every
request here): that is measured apart, with a page that matches nobody, and taken off.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.config import Settings
from identity.models import Role, UserRole
from tests.factories import add_user, root
from tests.support.app import runtime
from tests.support.graphql import gql
from tests.support.http import bearer
from tests.support.statements import counting

USERS = """{ users(first: 100) { totalCount edges { node {
  email roles { name permissions { name } } permissions
} } } }"""
NOBODY = """{ users(first: 100, filter: {search: "nobody-matches-this"}) {
  edges { node { email } } } }"""
# GraphQL: the page, then one batch per loader (held roles, primary and extra in one
# statement; role permissions; effective permissions); the selected totalCount was counted by
# the warming request and is reused (``users_admin.counts``), as REST's total is.
# REST: the page and everyone's grants in one statement.
GRAPHQL_STATEMENTS = 4
REST_STATEMENTS = 2


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """The caller read on every request (no principal cache: what knowing the caller costs
    is then the same in the two requests compared), and a total kept long enough for a
    loaded machine."""
    return make_settings(users_total_cache_seconds=300, principal_cache=False)


async def add_people(app: FastAPI, count: int) -> None:
    """Accounts of several primary roles, each also holding admin3, half with direct grants."""
    roles = ("user", "admin1", "admin2")
    created = [
        await add_user(
            app, role=roles[number % 3], permissions=["audit:read"] if number % 2 else ()
        )
        for number in range(count)
    ]
    async with runtime(app).database.unit_of_work() as session:
        admin3 = await session.scalar(select(col(Role.id)).where(col(Role.name) == "admin3"))
        assert admin3 is not None
        now = runtime(app).clock.now()
        session.add_all(UserRole(user_id=one, role_id=admin3, created_at=now) for one in created)


async def graphql_statements(app: FastAPI, client: httpx.AsyncClient, token: str) -> int:
    async def once() -> int:
        with counting(app) as counter:
            body = await gql(client, USERS, token=token)
        assert "errors" not in body, body
        assert all(edge["node"]["roles"] for edge in body["data"]["users"]["edges"])
        assert not any("count(" in one.lower() for one in counter.queries)
        with counting(app) as caller:  # the caller, and one page statement finding nobody
            assert "errors" not in await gql(client, NOBODY, token=token)
        return len(counter.queries) - (len(caller.queries) - 1)

    await gql(client, USERS, token=token)  # warm: keys and caches are loaded once
    return await once()


async def rest_statements(app: FastAPI, client: httpx.AsyncClient, token: str) -> int:
    nobody = "/api/v1/users?size=100&search=nobody-matches-this"

    async def once() -> int:
        with counting(app) as counter:
            response = await client.get("/api/v1/users?size=100", headers=bearer(token))
        assert response.status_code == 200, response.text
        assert all(item["permissions"] for item in response.json()["items"])
        assert not any("count(" in one.lower() for one in counter.queries)
        with counting(app) as caller:  # the caller, and one page statement finding nobody
            assert (await client.get(nobody, headers=bearer(token))).json()["items"] == []
        return len(counter.queries) - (len(caller.queries) - 1)

    await client.get("/api/v1/users?size=100", headers=bearer(token))
    await client.get(nobody, headers=bearer(token))
    return await once()


async def test_graphql_users_with_roles_and_permissions(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await root(app)
    await add_people(app, 5)
    five = await graphql_statements(app, client, token)

    await add_people(app, 45)
    fifty = await graphql_statements(app, client, token)

    assert five == fifty == GRAPHQL_STATEMENTS, (five, fifty)


async def test_rest_users_with_permissions(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)
    await add_people(app, 5)
    five = await rest_statements(app, client, token)

    await add_people(app, 45)
    fifty = await rest_statements(app, client, token)

    assert five == fifty == REST_STATEMENTS, (five, fifty)
