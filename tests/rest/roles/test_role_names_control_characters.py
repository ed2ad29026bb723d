"""Issue 10, item 21 (roles): control and formatting characters are refused in role names
and descriptions, and in permission descriptions, on REST and GraphQL alike.

The attack: a role named with terminal escapes (ESC), a right-to-left override or a
zero-width space shows as something else in consoles, logs and administration screens.
SQLite and PostgreSQL.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import new_permission, new_role, super_admin
from tests.support.graphql import gql
from tests.support.http import assert_error

TRICKS = {
    "escape": "admins\x1b[8m-hidden",
    "nul": "admins\x00",
    "newline": "admins\nsuperadmin",
    "tab": "admins\tx",
    "right-to-left override": "admins\u202etxt.exe",
    "zero-width space": "ad\u200bmins",
    "line separator": "admins\u2028x",
}
CREATE_ROLE = """
mutation($input: CreateRoleInput!) {
  createRole(input: $input) {
    __typename ... on Error { code field } ... on RolePayload { role { name } }
  }
}
"""


@pytest.mark.parametrize("trick", TRICKS.values(), ids=TRICKS.keys())
async def test_a_role_name_with_a_control_character_is_refused(
    app: FastAPI, client: httpx.AsyncClient, trick: str
) -> None:
    # given
    root = await super_admin(app)
    role = await new_role(app, name="plain")

    # when
    created = await client.post("/api/v1/roles", json={"name": trick}, headers=root.headers)
    created_003 = await client.post("/v1/admin/roles", json={"name": trick}, headers=root.headers)
    renamed = await client.put(
        f"/v1/admin/roles/{role}", json={"name": trick}, headers=root.headers
    )
    described = await client.post(
        "/api/v1/roles", json={"name": "fine", "description": trick}, headers=root.headers
    )
    graphql = await gql(client, CREATE_ROLE, {"input": {"name": trick}}, token=root.token)

    # then
    for response in (created, created_003, renamed, described):
        error = assert_error(response, 422, "VALIDATION_ERROR")
        assert "control" in error["message"], error
    assert graphql["data"]["createRole"] == {
        "__typename": "ValidationError",
        "code": "VALIDATION_ERROR",
        "field": "name",
    }
    listed = await client.get("/api/v1/roles", headers=root.headers)
    assert {one["name"] for one in listed.json()} & {"fine", trick} == set()


async def test_a_permission_description_with_a_control_character_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    root = await super_admin(app)
    custom = await new_permission(app, "invoices:approve")

    # when
    created = await client.post(
        "/api/v1/permissions",
        json={"name": "invoices:sign", "description": "Sign\x1b]8;;https://evil.example\x07"},
        headers=root.headers,
    )
    changed = await client.put(
        f"/api/v1/permissions/{custom}", json={"description": "x\u202ey"}, headers=root.headers
    )

    # then
    for response in (created, changed):
        assert_error(response, 422, "VALIDATION_ERROR")


async def test_plain_names_still_have_their_spaces_tidied(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    root = await super_admin(app)

    # when
    created = await client.post(
        "/api/v1/roles",
        json={"name": "  Équipe   support  ", "description": " Répond aux clients — 24/7 "},
        headers=root.headers,
    )

    # then
    assert created.status_code == 201, created.text
    assert created.json()["name"] == "Équipe support"
    assert created.json()["description"] == "Répond aux clients — 24/7"
