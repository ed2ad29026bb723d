"""Item 12 (registration): with ``registration_reveals_existing`` off, a taken address answers
exactly like a free one, gives the caller nothing that works, and mails the owner instead.

Before, registration always answered 409 "Email already registered": anyone could test which
addresses have accounts. With the setting on (the default, as the seeds document), 409 stays.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import ACCOUNT_PASSWORD as PASSWORD
from tests.factories import set_setting
from tests.flows.conftest import queued_to, settled
from tests.support.graphql import GQL_REGISTER, gql_field
from tests.support.http import assert_error
from tests.support.mail import Mailbox
from tests.support.rows import users

OWNER = "owner@example.com"
NEWCOMER = "newcomer@example.com"
ATTACKER_PASSWORD = "AttackerPassword789!"
NOTICE_SUBJECT = "Someone tried to use your email address"
ROUTES = [
    pytest.param("/auth/register", id="seed 001"),
    pytest.param("/v1/auth/register", id="seeds 002 003"),
    pytest.param("/api/v1/auth/register", id="seed 004"),
]


def attempt(email: str, **fields: str) -> dict[str, str]:
    return {
        "email": email,
        "password": ATTACKER_PASSWORD,
        "first_name": "Click https://evil.example",
        **fields,
    }


def shape(value: Any) -> Any:
    """The JSON shape of an answer: keys and value types, not values."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    return type(value).__name__


async def login_status(client: httpx.AsyncClient, email: str, password: str) -> int:
    response = await client.post("/v1/auth/login", json={"email": email, "password": password})
    return response.status_code


@pytest.mark.parametrize("path", ROUTES)
async def test_a_taken_address_answers_like_a_free_one_and_the_owner_is_told(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, path: str
) -> None:
    # given
    await set_setting(app, client, "registration_reveals_existing", False)
    owned = await client.post(path, json={"email": OWNER, "password": PASSWORD})
    assert owned.status_code == 201, owned.text
    await mailbox.next_to(OWNER)  # the owner's own verification mail
    owner_id = (await users(app))[0].id

    # when
    taken = await client.post(path, json=attempt("OWNER@example.com"))
    free = await client.post(path, json=attempt(NEWCOMER))

    # then: same status, same shape; nothing in it belongs to the owner
    assert taken.status_code == free.status_code == 201, taken.text
    assert shape(taken.json()) == shape(free.json())
    assert str(owner_id) not in taken.text
    # nothing that works: no second account, the attacker's password opens nothing
    assert sorted(user.email for user in await users(app)) == [NEWCOMER, OWNER]
    assert await login_status(client, OWNER, ATTACKER_PASSWORD) == 401
    assert await login_status(client, OWNER, PASSWORD) == 200
    # the owner hears about it, in our words only
    notice = await mailbox.next_to(OWNER, NOTICE_SUBJECT)
    assert "evil" not in notice.text
    assert "already belongs to your account" in notice.text


async def test_graphql_register_conceals_a_taken_address_too(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given
    await set_setting(app, client, "registration_reveals_existing", False)
    variables = {"input": {"email": OWNER, "password": PASSWORD}}
    assert (await gql_field(client, GQL_REGISTER, variables))["__typename"] == "RegisterPayload"

    # when
    again = await gql_field(
        client, GQL_REGISTER, {"input": {"email": OWNER, "password": ATTACKER_PASSWORD}}
    )

    # then
    assert again["__typename"] == "RegisterPayload", again
    assert again["user"]["email"] == OWNER
    assert len(await users(app)) == 1
    await mailbox.next_to(OWNER, NOTICE_SUBJECT)


async def test_a_taken_username_is_still_refused_whatever_the_address(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    await set_setting(app, client, "registration_reveals_existing", False)
    body = {"email": OWNER, "password": PASSWORD, "username": "owner"}
    assert (await client.post("/api/v1/auth/register", json=body)).status_code == 201

    # when: the answer is the username's, for a taken and for a free address alike
    taken = await client.post("/api/v1/auth/register", json=attempt(OWNER, username="owner"))
    free = await client.post("/api/v1/auth/register", json=attempt(NEWCOMER, username="owner"))

    # then
    assert_error(taken, 409, "RESOURCE_CONFLICT")
    assert_error(free, 409, "RESOURCE_CONFLICT")
    assert taken.json()["error"]["details"] == free.json()["error"]["details"]


async def test_repeated_attempts_mail_the_owner_a_bounded_number_of_times(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    await set_setting(app, client, "registration_reveals_existing", False)
    assert (
        await client.post("/v1/auth/register", json={"email": OWNER, "password": PASSWORD})
    ).status_code == 201

    # when
    for _ in range(8):
        response = await client.post("/v1/auth/register", json=attempt(OWNER))
        assert response.status_code == 201, response.text
    await settled(app)

    # then
    notices = [mail for mail in await queued_to(app, OWNER) if mail.subject == NOTICE_SUBJECT]
    assert 1 <= len(notices) <= 5


async def test_by_default_a_taken_address_is_409_as_the_seeds_document(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    body = {"email": OWNER, "password": PASSWORD}
    assert (await client.post("/v1/auth/register", json=body)).status_code == 201

    # when
    response = await client.post("/v1/auth/register", json=attempt(OWNER))

    # then
    assert_error(response, 409, "RESOURCE_CONFLICT")
    assert [mail for mail in await queued_to(app, OWNER) if mail.subject == NOTICE_SUBJECT] == []
