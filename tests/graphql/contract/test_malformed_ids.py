"""A malformed id is answered as an unknown one, on every field that takes an id.

Mutations answer their ``NotFound`` member (RESOURCE_NOT_FOUND, the argument in ``field``);
lookup queries answer null. Whether an id exists cannot be probed by its shape. The fields
and arguments come from the schema: a new one is covered without editing this file.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import super_admin
from tests.graphql.contract.schema_walk import IdArgument, id_arguments, operation
from tests.support.graphql import gql

ARGUMENTS = list(id_arguments())
UNKNOWN_IS_REFUSED: dict[str, dict[str, object]] = {
    "register": {
        "__typename": "PermissionDenied",
        "code": "SELF_REGISTRATION_NOT_ALLOWED",
        "field": None,
    },
}
"""Mutations whose unknown id is not their NotFound member, with that answer: a malformed id
gets it too (register's organizationId: closed, inactive, unknown and malformed alike, as on
REST; tests/graphql/tenants/test_register_into_tenant.py)."""


ANSWERED_AS_UNKNOWN = frozenset({"completeMfaLogin", "sendEmailMfaCode"})
"""Mutations that answer an unknown id exactly as anything else that is wrong (the login
step: a user id without a pending login is a wrong code, never a NotFound that would say
whether the account exists): a malformed id must get that same answer."""


def test_the_walk_finds_the_id_arguments() -> None:
    found = {(one.field, one.path) for one in ARGUMENTS}
    assert {("user", ".id"), ("revokeSession", ".id"), ("createRole", ".input.tenantId")} <= found
    assert ("bulkUserAction", ".input.userIds") in found


@pytest.mark.parametrize("argument", ARGUMENTS, ids=lambda one: f"{one.field}{one.path}")
async def test_malformed_id_is_not_found(
    app: FastAPI, client: httpx.AsyncClient, argument: IdArgument
) -> None:
    admin = await super_admin(app)
    document, variables = operation(argument.kind, argument.field, malformed=(argument.path,))

    answer = await gql(client, document, variables, token=admin.token)

    assert "errors" not in answer, answer
    result = answer["data"][argument.field]
    if argument.kind == "query" or argument.field in ANSWERED_AS_UNKNOWN:
        assert argument.kind == "mutation" or result is None
        document, variables = operation(argument.kind, argument.field)
        assert await gql(client, document, variables, token=admin.token) == answer
    elif argument.field in UNKNOWN_IS_REFUSED:
        assert result == UNKNOWN_IS_REFUSED[argument.field]
    else:
        assert result == {
            "__typename": "NotFound",
            "code": "RESOURCE_NOT_FOUND",
            "field": argument.name,
        }
