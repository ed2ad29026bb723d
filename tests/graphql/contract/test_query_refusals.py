"""Every query field refuses the same way: an error whose ``extensions.code`` is stable.

The fields come from the schema and what each needs from its description (the sentence
``schema.declare`` writes), so a new query field is covered without editing this file.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import caller
from tests.graphql.contract.schema_walk import access, fields, operation
from tests.support.graphql import gql, gql_field

QUERY_FIELDS = sorted(fields("query"))


def test_every_query_field_says_who_may_call_it() -> None:
    silent = [name for name, field in fields("query").items() if access(field) is None]
    assert silent == []


@pytest.mark.parametrize("name", QUERY_FIELDS)
async def test_refusals_carry_their_code(
    app: FastAPI, client: httpx.AsyncClient, name: str
) -> None:
    needs = access(fields("query")[name])
    assert needs is not None
    document, variables = operation("query", name)
    plain = await caller(app)
    me = await gql_field(client, "{ me { permissions } }", token=plain.token)
    held = set(me["permissions"])

    anonymous = await gql(client, document, variables)
    signed_in = await gql(client, document, variables, token=plain.token)

    if needs.public:
        assert "errors" not in anonymous, anonymous
    else:
        assert anonymous["data"] is None or anonymous["data"][name] is None
        assert [error["extensions"]["code"] for error in anonymous["errors"]] == [
            "AUTHENTICATION_REQUIRED"
        ]
    if set(needs.permissions) <= held:
        assert "errors" not in signed_in, signed_in
    else:
        assert signed_in["data"] is None or signed_in["data"][name] is None
        assert [error["extensions"]["code"] for error in signed_in["errors"]] == [
            "PERMISSION_DENIED"
        ]
