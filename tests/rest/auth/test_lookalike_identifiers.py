"""Item 22: identifiers that look the same are the same account (NFKC case folding).

Before, keys were only lower-cased: fullwidth letters and the long s made second accounts
that a reader cannot tell from the first, and usernames could mix Latin and Cyrillic.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from identity.services.accounts import identifier_key
from tests.factories import ACCOUNT_PASSWORD as PASSWORD
from tests.factories import login_token, register
from tests.support.http import assert_error, bearer
from tests.support.rows import users

FULLWIDTH_ANN = "\uff41\uff4e\uff4e"
LONG_S = "\u017f"
CYRILLIC_A = "\u0430"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param("ann@example.com", f"{FULLWIDTH_ANN}@example.com", id="fullwidth"),
        pytest.param("sam@example.com", f"{LONG_S}am@example.com", id="long s"),
        pytest.param("Strasse@example.com", "STRASSE@EXAMPLE.COM", id="case"),
        pytest.param("stra\u00dfe@example.com", "STRASSE@example.com", id="sharp s"),
        pytest.param("\u00e9mile@example.com", "e\u0301mile@example.com", id="combining"),
        pytest.param("\ufb01le@example.com", "file@example.com", id="ligature"),
    ],
)
async def test_a_look_alike_address_is_the_same_account(
    app: FastAPI, client: httpx.AsyncClient, first: str, second: str
) -> None:
    # given
    await register(client, first)

    # when
    response = await register(client, second, status=409)

    # then
    assert_error(response, 409, "RESOURCE_CONFLICT")
    [user] = await users(app)
    assert user.email_key == identifier_key(second)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param("ann", FULLWIDTH_ANN, id="fullwidth"),
        pytest.param("sam", f"{LONG_S}am", id="long s"),
        pytest.param("Ann", "ANN", id="case"),
    ],
)
async def test_a_look_alike_username_is_taken(
    app: FastAPI, client: httpx.AsyncClient, first: str, second: str
) -> None:
    # given
    await register(client, "one@example.com", username=first)

    # when
    response = await register(client, "two@example.com", status=409, username=second)

    # then
    assert_error(response, 409, "RESOURCE_CONFLICT")
    assert len(await users(app)) == 1


@pytest.mark.parametrize(
    "username",
    [f"p{CYRILLIC_A}ypal", f"{CYRILLIC_A}dmin", "admin\u03bf", "\u0440\u043e\u0440a"],
)
async def test_a_username_mixing_scripts_is_refused(
    app: FastAPI, client: httpx.AsyncClient, username: str
) -> None:
    response = await register(client, "a@example.com", status=422, username=username)

    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error["details"] == {"reason": "MIXED_SCRIPTS", "field": "username"}
    assert await users(app) == []


@pytest.mark.parametrize(
    "username",
    ["\u0438\u0432\u0430\u043d", "\u5c71\u7530\u305f\u308d\u3046", "kim_\uae40\u54f2", "j.doe-42"],
)
async def test_a_username_of_one_script_or_a_usual_mix_is_taken(
    client: httpx.AsyncClient, username: str
) -> None:
    response = await register(client, "a@example.com", username=username)

    assert response.json()["username"] == username


async def test_login_by_a_look_alike_identifier_finds_the_account(
    client: httpx.AsyncClient,
) -> None:
    # given
    await register(client, "ann@example.com", username="ann.lee")

    # when / then: each form reaches the one account
    for identifier in (
        f"{FULLWIDTH_ANN}@example.com",
        "ANN@EXAMPLE.COM",
        "\uff21\uff2e\uff2e.\uff2c\uff25\uff25",
    ):
        await login_token(client, identifier, PASSWORD)


async def test_the_address_is_stored_as_typed_and_compared_folded(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await register(client, "Stra\u00dfe@Example.com")

    [user] = await users(app)
    assert user.email == "Stra\u00dfe@example.com"
    assert user.email_key == "strasse@example.com"


@pytest.mark.parametrize("path", ["/v1/auth/profile", "/api/v1/users/me"])
async def test_a_profile_cannot_take_a_look_alike_username(
    app: FastAPI, client: httpx.AsyncClient, path: str
) -> None:
    # given
    await register(client, "one@example.com", username="sam")
    await register(client, "two@example.com", username="other")
    token = await login_token(client, "two@example.com")

    # when
    response = await client.put(
        path,
        json={"username": f"{LONG_S}AM", "current_password": PASSWORD},
        headers=bearer(token),
    )

    # then
    assert_error(response, 409, "RESOURCE_CONFLICT")
    assert {user.username for user in await users(app)} == {"sam", "other"}
