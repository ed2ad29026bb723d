"""A failing statement shows neither its bound values nor the database's own text to anyone."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from identity.config import Settings
from identity.db import Database

SECRET_VALUE = "argon2-looking-secret-" + uuid.uuid4().hex

REGISTER = """
mutation ($input: RegisterInput!) {
  register(input: $input) { __typename }
}
"""


@pytest.mark.parametrize("env", ["development", "test"])
async def test_a_database_failure_in_graphql_answers_a_masked_error(
    make_settings: Callable[..., Settings], env: str
) -> None:
    from identity.app import create_app
    from tests.conftest import open_client

    app = create_app(make_settings(env=env))
    variables = {
        "input": {
            "email": "long@example.com",
            "password": "a fine long password 42",
            "firstName": "F" * 300,
        }
    }
    async for client in open_client(app):
        response = await client.post("/graphql", json={"query": REGISTER, "variables": variables})
        _no_database_text(response)
        for error in response.json().get("errors") or []:
            assert error["message"] == "Unexpected error."


async def test_a_broken_database_answers_masked_errors_on_both_surfaces(
    make_settings: Callable[..., Settings],
) -> None:
    """Whatever input rules exist, a statement can still fail: the table is gone here."""
    from identity.app import create_app
    from tests.conftest import open_client
    from tests.support.app import runtime

    app = create_app(make_settings(env="development"))
    variables = {"input": {"email": "gone@example.com", "password": "a fine long password 42"}}
    async for client in open_client(app):
        async with runtime(app).database.unit_of_work() as session:
            await session.execute(text("ALTER TABLE users RENAME TO users_gone"))
        graphql = await client.post("/graphql", json={"query": REGISTER, "variables": variables})
        rest = await client.post("/api/v1/auth/register", json=variables["input"])
        async with runtime(app).database.unit_of_work() as session:
            await session.execute(text("ALTER TABLE users_gone RENAME TO users"))

    assert [error["message"] for error in graphql.json()["errors"]] == ["Unexpected error."]
    assert rest.status_code == 500
    for response in (graphql, rest):
        _no_database_text(response)
        assert "users" not in response.text


def _no_database_text(response: httpx.Response) -> None:
    body = response.text.lower()
    for leak in ("argon2", "insert into", "sqlalchemy", "asyncpg", "sqlite", "value too long"):
        assert leak not in body, response.text


async def test_a_failed_statement_does_not_carry_its_parameters(settings: Settings) -> None:
    database = Database(settings)
    try:
        with pytest.raises(DBAPIError) as raised:
            async with database.unit_of_work() as session:
                await session.execute(
                    text("INSERT INTO no_such_table (secret) VALUES (:secret)"),
                    {"secret": SECRET_VALUE},
                )
    finally:
        await database.dispose()

    assert SECRET_VALUE not in str(raised.value)
    assert "hidden" in str(raised.value)
