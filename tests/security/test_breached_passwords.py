"""Breached passwords (issue 10, item 29): a k-anonymity range API on loopback.

Only the first five hex characters of a password's SHA-1 may leave the server; a password the
range lists is refused; an unreachable API lets the password through and says so in the log.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Callable

import pytest

from identity.app import create_app
from identity.config import Settings
from identity.security.password_policy import pwned_range_query
from identity.services.password_rules import breach_count
from tests.conftest import open_client
from tests.support.graphql import GQL_REGISTER, gql_field
from tests.support.http import assert_error, bearer
from tests.support.range_server import RangeServer
from tests.support.rows import users

BREACHED = "Tr0ub4dor&3-leaked"
CLEAN = "correct horse battery staple 9"


def sha1(password: str) -> str:
    return hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest().upper()


@pytest.fixture
async def range_server() -> AsyncIterator[RangeServer]:
    server = RangeServer([BREACHED])
    await server.start()
    yield server
    await server.stop()


def test_the_range_query_splits_the_sha1_after_five_hex_characters() -> None:
    query = pwned_range_query("password")

    assert (query.prefix, query.suffix) == ("5BAA6", "1E4C9B93F3F0682250B6CF8331B7EE68FD8")
    assert query.count_in("0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n") == 0
    assert query.count_in("1e4c9b93f3f0682250b6cf8331b7ee68fd8:9659365\r\n") == 9659365
    assert query.count_in("1E4C9B93F3F0682250B6CF8331B7EE68FD8:0") == 0
    assert query.count_in("1E4C9B93F3F0682250B6CF8331B7EE68FD8:lots") == 0


async def test_a_listed_password_counts_and_only_five_hex_characters_leave(
    range_server: RangeServer, make_settings: Callable[..., Settings]
) -> None:
    # given
    settings = make_settings(breached_passwords_url=range_server.url)

    # when
    count = await breach_count(settings, BREACHED)

    # then
    assert count == 42
    assert range_server.paths == [f"/range/{sha1(BREACHED)[:5]}"]
    request = range_server.requests[0]
    assert sha1(BREACHED)[5:].encode() not in request.upper()
    assert BREACHED.encode() not in request


async def test_a_clean_password_counts_zero(
    range_server: RangeServer, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(breached_passwords_url=range_server.url)

    assert await breach_count(settings, CLEAN) == 0
    assert range_server.paths == [f"/range/{sha1(CLEAN)[:5]}"]


async def test_off_by_default_nothing_is_sent(
    range_server: RangeServer, settings: Settings
) -> None:
    assert settings.breached_passwords_url is None
    assert await breach_count(settings, BREACHED) == 0
    assert range_server.requests == []


async def test_an_unreachable_api_fails_open_and_is_logged(
    range_server: RangeServer,
    make_settings: Callable[..., Settings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given: the server is gone
    url = range_server.url
    await range_server.stop()
    settings = make_settings(breached_passwords_url=url)

    # when
    with caplog.at_level(logging.WARNING, logger="identity.services.password_rules"):
        count = await breach_count(settings, BREACHED)

    # then
    assert count == 0
    assert any("breached-password check skipped" in record.message for record in caplog.records)


async def test_a_slow_api_times_out_and_fails_open(
    make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    # given: a server that accepts and never answers
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(-1)
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    settings = make_settings(
        breached_passwords_url=f"http://127.0.0.1:{port}/range/",
        breached_passwords_timeout_seconds=0.2,
    )

    # when
    try:
        with caplog.at_level(logging.WARNING, logger="identity.services.password_rules"):
            count = await breach_count(settings, BREACHED)
    finally:
        server.close()
        await server.wait_closed()

    # then
    assert count == 0
    assert any("Timeout" in record.message for record in caplog.records)


async def test_an_error_status_fails_open(
    range_server: RangeServer,
    make_settings: Callable[..., Settings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = make_settings(breached_passwords_url=range_server.url + "not-here/")

    with caplog.at_level(logging.WARNING, logger="identity.services.password_rules"):
        assert await breach_count(settings, BREACHED) == 0
    assert any("HTTPStatusError" in record.message for record in caplog.records)


async def test_registration_refuses_a_breached_password_on_both_surfaces(
    range_server: RangeServer, make_settings: Callable[..., Settings]
) -> None:
    # given
    app = create_app(make_settings(breached_passwords_url=range_server.url))
    async for client in open_client(app):
        # when
        rest = await client.post(
            "/v1/auth/register", json={"email": "a@example.com", "password": BREACHED}
        )
        graphql = await gql_field(
            client,
            GQL_REGISTER,
            {"input": {"email": "b@example.com", "password": BREACHED}},
        )
        clean = await client.post(
            "/v1/auth/register", json={"email": "c@example.com", "password": CLEAN}
        )

        # then
        error = assert_error(rest, 422, "PASSWORD_BREACHED")
        assert error["details"]["field"] == "password"
        assert (graphql["__typename"], graphql["code"]) == ("ValidationError", "PASSWORD_BREACHED")
        assert clean.status_code == 201, clean.text
        assert [user.email for user in await users(app)] == ["c@example.com"]
        assert {len(path) for path in range_server.paths} == {len("/range/") + 5}


async def test_registration_goes_through_when_the_api_is_down(
    range_server: RangeServer,
    make_settings: Callable[..., Settings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given
    url = range_server.url
    await range_server.stop()
    app = create_app(make_settings(breached_passwords_url=url))
    async for client in open_client(app):
        # when
        with caplog.at_level(logging.WARNING, logger="identity.services.password_rules"):
            response = await client.post(
                "/v1/auth/register", json={"email": "a@example.com", "password": BREACHED}
            )

        # then
        assert response.status_code == 201, response.text
        assert any("breached-password check skipped" in r.message for r in caplog.records)


async def test_a_password_change_refuses_a_breached_password(
    range_server: RangeServer, make_settings: Callable[..., Settings]
) -> None:
    # given: an account registered before the check was on
    app = create_app(make_settings(breached_passwords_url=range_server.url))
    async for client in open_client(app):
        registered = await client.post(
            "/v1/auth/register", json={"email": "a@example.com", "password": CLEAN}
        )
        assert registered.status_code == 201, registered.text
        login = await client.post(
            "/v1/auth/login", json={"email": "a@example.com", "password": CLEAN}
        )
        headers = bearer(login.json()["access_token"])

        # when
        response = await client.post(
            "/v1/auth/change-password",
            json={"current_password": CLEAN, "new_password": BREACHED},
            headers=headers,
        )

        # then
        error = assert_error(response, 422, "PASSWORD_BREACHED")
        assert error["details"]["field"] == "new_password"
        again = await client.post(
            "/v1/auth/login", json={"email": "a@example.com", "password": CLEAN}
        )
        assert again.status_code == 200, again.text
