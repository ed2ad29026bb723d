"""Issue 10, item 26 (ASVS V7.5.1): changing one's own email or username through the
administration routes needs the current password, as on the self-service routes.

The attack: someone holding an administrator's access token for a moment (an unlocked
screen, a stolen token) changes the administrator's own email through ``/api/v1/users/{id}``
and resets the password through the new address. Now refused without the current password,
with the same answer as a wrong one (``INVALID_CREDENTIALS``), counted by the same attempt
counter. SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from identity.errors import TooManyAttempts
from identity.services import runtime_settings
from identity.services.auth import check_current_password
from tests.factories import PASSWORD, add_user, token_for
from tests.support.app import runtime
from tests.support.audit import audit_events
from tests.support.graphql import gql
from tests.support.http import assert_error, bearer
from tests.support.rows import user_row

NEW_EMAIL = "taken-over@evil.example"
UPDATE_USER = """
mutation($id: ID!, $input: UpdateUserInput!) {
  updateUser(id: $id, input: $input) {
    __typename ... on Error { code field } ... on UserPayload { user { email } }
  }
}
"""
REPLACE_USER = UPDATE_USER.replace("updateUser", "replaceUser")


async def admin_with_password(app: FastAPI) -> tuple[uuid.UUID, str]:
    """A super-admin who signs in with PASSWORD and the username ``boss``."""
    password_hash = await runtime(app).deps.hasher.hash(PASSWORD)
    user_id = await add_user(
        app, "boss@example.com", role="superadmin", username="boss", password_hash=password_hash
    )
    return user_id, await token_for(app, user_id)


async def sign_in_fields(app: FastAPI, user_id: uuid.UUID) -> tuple[str, str | None]:
    user = await user_row(app, user_id)
    assert user is not None
    return user.email, user.username


# (name, method, path, body without current_password)
SELF_CHANGES = [
    ("email (000 PATCH)", "PATCH", "/api/v1/users/{id}", {"email": NEW_EMAIL}),
    ("email (000 PUT)", "PUT", "/api/v1/users/{id}", {"email": NEW_EMAIL, "username": "boss"}),
    ("email (003)", "PUT", "/v1/users/{id}", {"email": NEW_EMAIL}),
    ("username (000 PATCH)", "PATCH", "/api/v1/users/{id}", {"username": "newboss"}),
    ("username (003)", "PUT", "/v1/users/{id}", {"username": "newboss"}),
    # PUT clears the fields it is not sent, the username among them
    ("username cleared by PUT", "PUT", "/api/v1/users/{id}", {"first_name": "B"}),
]


@pytest.mark.parametrize(
    ("name", "method", "path", "body"), SELF_CHANGES, ids=[case[0] for case in SELF_CHANGES]
)
@pytest.mark.parametrize("password", [None, "Wrong-Password-2026!"], ids=["without", "wrong"])
async def test_changing_ones_own_sign_in_needs_the_current_password(
    app: FastAPI,
    client: httpx.AsyncClient,
    name: str,
    method: str,
    path: str,
    body: dict[str, Any],
    password: str | None,
) -> None:
    # given
    me, token = await admin_with_password(app)
    sent = body if password is None else {**body, "current_password": password}

    # when
    response = await client.request(method, path.format(id=me), json=sent, headers=bearer(token))

    # then
    error = assert_error(response, 401, "INVALID_CREDENTIALS")
    assert error["message"] == "Current password is incorrect"
    assert await sign_in_fields(app, me) == ("boss@example.com", "boss")


@pytest.mark.parametrize(
    ("name", "method", "path", "body"), SELF_CHANGES, ids=[case[0] for case in SELF_CHANGES]
)
async def test_with_the_current_password_the_change_goes_through(
    app: FastAPI,
    client: httpx.AsyncClient,
    name: str,
    method: str,
    path: str,
    body: dict[str, Any],
) -> None:
    # given
    me, token = await admin_with_password(app)

    # when
    response = await client.request(
        method,
        path.format(id=me),
        json={**body, "current_password": PASSWORD},
        headers=bearer(token),
    )

    # then
    assert response.status_code == 200, response.text
    assert await sign_in_fields(app, me) != ("boss@example.com", "boss")


async def test_other_changes_and_other_accounts_need_no_password(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    me, token = await admin_with_password(app)
    other = await add_user(app, "other@example.com", username="other")

    # when
    own_name = await client.patch(
        f"/api/v1/users/{me}", json={"first_name": "B"}, headers=bearer(token)
    )
    same_email = await client.patch(
        f"/api/v1/users/{me}", json={"email": "boss@example.com"}, headers=bearer(token)
    )
    others = await client.patch(
        f"/api/v1/users/{other}",
        json={"email": "other2@example.com", "username": "other2"},
        headers=bearer(token),
    )

    # then
    for response in (own_name, same_email, others):
        assert response.status_code == 200, response.text
    assert await sign_in_fields(app, other) == ("other2@example.com", "other2")


async def test_graphql_update_and_replace_need_the_current_password(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    me, token = await admin_with_password(app)

    # when
    refused = [
        await gql(
            client, document, {"id": str(me), "input": {"email": NEW_EMAIL, **extra}}, token=token
        )
        for document in (UPDATE_USER, REPLACE_USER)
        for extra in ({}, {"currentPassword": "Wrong-Password-2026!"})
    ]
    allowed = await gql(
        client,
        UPDATE_USER,
        {"id": str(me), "input": {"email": NEW_EMAIL, "currentPassword": PASSWORD}},
        token=token,
    )

    # then
    for body in refused:
        result = next(iter(body["data"].values()))
        assert result == {
            "__typename": "InvalidCredentials",
            "code": "INVALID_CREDENTIALS",
            "field": "current_password",
        }, body
    assert allowed["data"]["updateUser"] == {
        "__typename": "UserPayload",
        "user": {"email": NEW_EMAIL},
    }


async def test_wrong_passwords_here_count_with_those_given_elsewhere(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    me, token = await admin_with_password(app)
    deps = runtime(app).deps
    threshold = (await runtime_settings.current(deps)).lockout_threshold

    # when: as many wrong passwords as the counter allows, through the administration route
    for _ in range(threshold):
        wrong = await client.patch(
            f"/api/v1/users/{me}",
            json={"email": NEW_EMAIL, "current_password": "Wrong-Password-2026!"},
            headers=bearer(token),
        )
        assert_error(wrong, 401, "INVALID_CREDENTIALS")
    then_right = await client.patch(
        f"/api/v1/users/{me}",
        json={"email": NEW_EMAIL, "current_password": PASSWORD},
        headers=bearer(token),
    )

    # then: refused here, and by the check the self-service routes make
    assert_error(then_right, 429, "TOO_MANY_ATTEMPTS")
    user = await user_row(app, me)
    assert user is not None
    with pytest.raises(TooManyAttempts):
        await check_current_password(deps, user=user, password=PASSWORD)
    assert await sign_in_fields(app, me) == ("boss@example.com", "boss")


async def test_a_wrong_current_password_here_is_audited(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    me, token = await admin_with_password(app)

    # when
    response = await client.patch(
        f"/api/v1/users/{me}",
        json={"email": NEW_EMAIL, "current_password": "Wrong-Password-2026!"},
        headers=bearer(token),
    )

    # then
    assert_error(response, 401, "INVALID_CREDENTIALS")
    events = await audit_events(app, "reauthentication.failed")
    assert [(event.actor_id, event.subject_id) for event in events] == [(me, me)]
    assert events[0].session_id is not None
