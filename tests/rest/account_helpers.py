"""What the account-input tests share: registering, signing in, GraphQL calls, settings, rows."""

from __future__ import annotations

from typing import Any, cast

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from identity.models import User
from identity.runtime import Runtime
from tests.admin.rbac_helpers import superadmin

PASSWORD = "SecurePassword123!"
REGISTER = "/api/v1/auth/register"
LOGIN = "/v1/auth/login"

GQL_REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) {
    __typename
    ... on RegisterPayload { user { id email username firstName subscriptionPlan } }
    ... on Error { code message field }
  }
}
"""
GQL_UPDATE_PROFILE = """
mutation Update($input: UpdateProfileInput!) {
  updateProfile(input: $input) {
    __typename
    ... on UserPayload { user { username firstName lastName avatarUrl subscriptionPlan } }
    ... on Error { code message field }
  }
}
"""


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def register(
    client: httpx.AsyncClient, email: str, *, status: int = 201, **fields: Any
) -> httpx.Response:
    body = {"email": email, "password": PASSWORD, **fields}
    response = await client.post(REGISTER, json=body)
    assert response.status_code == status, response.text
    return response


async def access_token(client: httpx.AsyncClient, identifier: str, password: str = PASSWORD) -> str:
    response = await client.post(LOGIN, json={"email": identifier, "password": password})
    assert response.status_code == 200, response.text
    return cast(str, response.json()["access_token"])


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any],
    *,
    token: str | None = None,
) -> dict[str, Any]:
    """The one root field's result; fails on a GraphQL error (a refusal must be data)."""
    headers = bearer(token) if token else {}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body
    return cast(dict[str, Any], next(iter(body["data"].values())))


async def set_setting(app: FastAPI, client: httpx.AsyncClient, key: str, value: Any) -> None:
    root = await superadmin(app)
    response = await client.patch(
        f"/v1/admin/settings/{key}", json={"value": value}, headers=root.headers
    )
    assert response.status_code == 200, response.text


async def users(app: FastAPI) -> list[User]:
    """Every stored account but the administrators tests make."""
    running = cast(Runtime, app.state.runtime)
    async with running.database.read() as session:
        rows = (await session.execute(select(User))).scalars().all()
    return [row for row in rows if row.role != "superadmin"]
