"""Items 21 and 22 over GraphQL: register and updateProfile follow the same field rules as REST.

Before, GraphQL had no length limits at all (a 300-character first name reached the database),
took any plan and any avatar, and accepted look-alike identifiers as new accounts.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import ACCOUNT_PASSWORD as PASSWORD
from tests.factories import login_token, register, set_setting
from tests.support.graphql import GQL_REGISTER, GQL_UPDATE_PROFILE, gql_field
from tests.support.rows import users


async def gql_register(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    variables = {"input": {"email": "ann@example.com", "password": PASSWORD, **fields}}
    return await gql_field(client, GQL_REGISTER, variables)


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("firstName", "A" * 151, "first_name"),
        ("lastName", "L" * 151, "last_name"),
        ("displayName", "D" * 301, "display_name"),
        ("organization", "O" * 201, "organization"),
        ("username", "u" * 151, "username"),
        ("firstName", "Ann\x1b]8;;https://evil.example\x07", "first_name"),
        ("displayName", "\u202eevil", "display_name"),
        ("organization", "Acme\u2028Inc", "organization"),
    ],
)
async def test_register_refuses_what_the_columns_cannot_hold_or_a_name_should_not(
    app: FastAPI, client: httpx.AsyncClient, field: str, value: str, named: str
) -> None:
    # when
    result = await gql_register(client, **{field: value})

    # then
    assert result["__typename"] == "ValidationError", result
    assert result["field"] == named
    assert await users(app) == []


async def test_register_takes_names_at_their_column_lengths(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    result = await gql_register(
        client, firstName="A" * 150, displayName="D" * 300, organization="O" * 200
    )

    assert result["__typename"] == "RegisterPayload", result
    [user] = await users(app)
    assert (len(user.first_name or ""), len(user.display_name or "")) == (150, 300)


async def test_register_takes_only_a_self_selectable_plan(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    await set_setting(app, client, "self_selectable_plans", ["starter"])

    # when
    refused = await gql_register(client, subscriptionPlan="enterprise")
    taken = await gql_register(client, subscriptionPlan="starter")

    # then
    assert refused["__typename"] == "ValidationError", refused
    assert (refused["code"], refused["field"]) == ("PLAN_NOT_SELECTABLE", "subscription_plan")
    assert taken["user"]["subscriptionPlan"] == "starter"


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("avatarUrl", "http://example.com/me.png", "avatar_url"),
        ("avatarUrl", "javascript:alert(1)", "avatar_url"),
        ("avatarUrl", "https://example.com/" + "a" * 2029, "avatar_url"),
        ("lastName", "L" * 151, "last_name"),
        ("firstName", "Ann\x00", "first_name"),
        ("subscriptionPlan", "enterprise", "subscription_plan"),
    ],
)
async def test_update_profile_follows_the_same_rules(
    app: FastAPI, client: httpx.AsyncClient, field: str, value: str, named: str
) -> None:
    # given
    await register(client, "ann@example.com", first_name="Ann", last_name="Lee")
    token = await login_token(client, "ann@example.com")

    # when
    result = await gql_field(client, GQL_UPDATE_PROFILE, {"input": {field: value}}, token=token)

    # then
    assert result["__typename"] == "ValidationError", result
    assert result["field"] == named
    [user] = await users(app)
    assert (user.first_name, user.last_name, user.avatar_url) == ("Ann", "Lee", None)
    assert user.subscription_plan is None


async def test_update_profile_keeps_an_https_avatar(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await register(client, "ann@example.com")
    token = await login_token(client, "ann@example.com")

    url = "https://cdn.example.com/ann.png"
    result = await gql_field(client, GQL_UPDATE_PROFILE, {"input": {"avatarUrl": url}}, token=token)

    assert result["user"]["avatarUrl"] == url


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("ann@example.com", "\uff21\uff2e\uff2e@example.com"),
        ("sam@example.com", "\u017fam@example.com"),
        ("émile@example.com", "e\u0301mile@example.com"),
    ],
)
async def test_register_refuses_an_address_that_looks_the_same(
    app: FastAPI, client: httpx.AsyncClient, first: str, second: str
) -> None:
    # given
    assert (await gql_register(client, email=first))["__typename"] == "RegisterPayload"

    # when
    result = await gql_register(client, email=second)

    # then
    assert result["__typename"] == "Conflict", result
    assert len(await users(app)) == 1


async def test_register_refuses_a_username_that_mixes_scripts(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    result = await gql_register(client, username="p\u0430ypal")  # Cyrillic a

    assert result["__typename"] == "ValidationError", result
    assert result["field"] == "username"
    assert await users(app) == []
