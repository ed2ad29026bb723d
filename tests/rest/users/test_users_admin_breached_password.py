"""Issue 10, item 29 on the administration routes: a password an administrator sets for a
new account passes the same check as any new password, the breached-password range API
included (on loopback here). SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from identity.app import create_app
from identity.config import Settings
from tests.conftest import open_client
from tests.factories import root
from tests.support.http import assert_error, bearer
from tests.support.range_server import RangeServer

BREACHED = "Tr0ub4dor&3-leaked"
CLEAN = "correct horse battery staple 9"


@pytest.fixture
async def range_server() -> AsyncIterator[RangeServer]:
    server = RangeServer([BREACHED])
    await server.start()
    yield server
    await server.stop()


async def test_an_administrator_cannot_give_a_new_account_a_breached_password(
    range_server: RangeServer, make_settings: Callable[..., Settings]
) -> None:
    # given
    app = create_app(make_settings(breached_passwords_url=range_server.url))
    async for client in open_client(app):
        _, token = await root(app)

        # when
        refused = await client.post(
            "/api/v1/users",
            json={"email": "a@example.com", "password": BREACHED},
            headers=bearer(token),
        )
        allowed = await client.post(
            "/api/v1/users",
            json={"email": "b@example.com", "password": CLEAN},
            headers=bearer(token),
        )

        # then
        error = assert_error(refused, 422, "PASSWORD_BREACHED")
        assert error["details"]["field"] == "password"
        assert allowed.status_code == 201, allowed.text
