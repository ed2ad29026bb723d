"""The short path keeps an object's plan across operations only where it cannot differ: the
same document without variables. With variables, ``@skip``/``@include`` decide per request.
SQLite and PostgreSQL."""

from __future__ import annotations

import httpx

from tests.factories import login_token, register
from tests.support.graphql import gql

EMAIL = "plans@example.com"
SKIPPED = "query($skip: Boolean!) { me { id email @skip(if: $skip) } }"
LITERAL = "{ me { email @include(if: true) username @include(if: false) } }"


async def test_a_kept_plan_follows_the_variables_and_the_literals(
    client: httpx.AsyncClient,
) -> None:
    await register(client, EMAIL)
    token = await login_token(client, EMAIL)
    for skip in (True, False, True):
        me = (await gql(client, SKIPPED, {"skip": skip}, token=token))["data"]["me"]
        assert ("email" in me) is not skip
    for _ in range(2):
        assert (await gql(client, LITERAL, token=token))["data"]["me"] == {"email": EMAIL}
