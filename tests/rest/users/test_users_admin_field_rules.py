"""Issue 10, items 21 and 22 on the administration routes: an administrator's create and
update follow the rules the self-service routes follow.

- Identifiers that look the same are the same account: an email or username is compared by
  its NFKC case-folded key, so an administrator cannot create a second "bob" in fullwidth
  letters, nor move an account onto another's look-alike address.
- Names hold no control characters; ``avatar_url`` is an https URL.

SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import add_user, root
from tests.support.graphql import gql
from tests.support.http import assert_error, bearer
from tests.support.rows import user_row

PASSWORD = "Unguessable-Passphrase-42"
UPDATE_USER = """
mutation($id: ID!, $input: UpdateUserInput!) {
  updateUser(id: $id, input: $input) { __typename ... on Error { code field } }
}
"""


@pytest.mark.parametrize(
    ("email", "username"),
    [
        ("\uff22\uff2f\uff22@example.com", None),  # fullwidth BOB
        ("other@example.com", "\uff42ob"),  # fullwidth b
        ("other@example.com", "Bob"),
    ],
    ids=["fullwidth email", "fullwidth username", "case"],
)
async def test_an_administrator_cannot_create_a_look_alike(
    app: FastAPI, client: httpx.AsyncClient, email: str, username: str | None
) -> None:
    # given
    _, token = await root(app)
    await add_user(app, "bob@example.com", username="bob")
    body: dict[str, Any] = {"email": email, "password": PASSWORD}
    if username:
        body["username"] = username

    # when
    response = await client.post("/api/v1/users", json=body, headers=bearer(token))

    # then
    assert_error(response, 409, "RESOURCE_CONFLICT")


async def test_an_administrator_cannot_move_an_account_onto_a_look_alike(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    _, token = await root(app)
    await add_user(app, "bob@example.com", username="bob")
    other = await add_user(app, "other@example.com", username="other")

    # when
    email = await client.patch(
        f"/api/v1/users/{other}",
        json={"email": "\uff42ob@example.com"},
        headers=bearer(token),
    )
    username = await client.patch(
        f"/api/v1/users/{other}", json={"username": "\uff42ob"}, headers=bearer(token)
    )

    # then
    assert_error(email, 409, "RESOURCE_CONFLICT")
    assert_error(username, 409, "RESOURCE_CONFLICT")
    row = await user_row(app, other)
    assert row is not None
    assert (row.email, row.username) == ("other@example.com", "other")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("first_name", "Bob\x1b[2J"),
        ("display_name", "Bob\u202e"),
        ("organization", "Acme\x00"),
        ("avatar_url", "javascript:alert(1)"),
        ("avatar_url", "http://cdn.example.com/a.png"),
    ],
)
async def test_an_administrator_sets_only_clean_profile_fields(
    app: FastAPI, client: httpx.AsyncClient, field: str, value: str
) -> None:
    # given
    _, token = await root(app)
    user = await add_user(app, "bob@example.com")

    # when
    response = await client.patch(
        f"/api/v1/users/{user}", json={field: value}, headers=bearer(token)
    )

    # then
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error["message"], error
    row = await user_row(app, user)
    assert row is not None
    assert getattr(row, field) is None


async def test_graphql_and_creation_follow_the_same_rules(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    _, token = await root(app)
    user = await add_user(app, "bob@example.com")

    # when
    updated = await gql(
        client, UPDATE_USER, {"id": str(user), "input": {"firstName": "B\x07ob"}}, token=token
    )
    created = await client.post(
        "/api/v1/users",
        json={"email": "new@example.com", "password": PASSWORD, "last_name": "X\u200b"},
        headers=bearer(token),
    )
    fine = await client.patch(
        f"/api/v1/users/{user}",
        json={"first_name": "  Zoë ", "avatar_url": "https://cdn.example.com/zoe.png"},
        headers=bearer(token),
    )

    # then
    assert updated["data"]["updateUser"] == {
        "__typename": "ValidationError",
        "code": "VALIDATION_ERROR",
        "field": "first_name",
    }
    assert_error(created, 422, "VALIDATION_ERROR")
    assert fine.status_code == 200, fine.text
    assert fine.json()["first_name"] == "Zoë"


async def test_an_avatar_url_of_2048_characters_fits_and_one_more_does_not(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    _, token = await root(app)
    user = await add_user(app, "bob@example.com")
    base = "https://cdn.example.com/"
    longest = base + "a" * (2048 - len(base))

    # when
    fits = await client.patch(
        f"/api/v1/users/{user}", json={"avatar_url": longest}, headers=bearer(token)
    )
    too_long = await client.patch(
        f"/api/v1/users/{user}", json={"avatar_url": longest + "a"}, headers=bearer(token)
    )

    # then
    assert fits.status_code == 200, fits.text
    assert fits.json()["avatar_url"] == longest
    assert too_long.status_code == 422, too_long.text
