"""Who may call each GraphQL field of the operations table: anonymous
``AUTHENTICATION_REQUIRED``, a signed-in caller without a needed permission
``PERMISSION_DENIED`` (an error or the result's error member), the holder data (every
signed-in caller, for a viewing field); and each field's description names what it needs.
SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.access.operations import GRAPHQL_CASES, Graphql, Operation
from tests.access.world import HOLDER, callers, world
from tests.support.graphql import gql, outcome


@pytest.mark.parametrize(
    ("operation", "call"), GRAPHQL_CASES, ids=[str(call) for _, call in GRAPHQL_CASES]
)
async def test_graphql_access(
    app: FastAPI, client: httpx.AsyncClient, operation: Operation, call: Graphql
) -> None:
    # given
    targets = await world(app, operation.needs[0])
    who = await callers(app, operation.needs, operation.also)
    variables = call.variables(targets)

    # when
    bodies = {
        kind: await gql(client, call.document, variables, token=one.token if one else None)
        for kind, one in who.items()
    }

    # then
    refused = {
        kind: outcome(body, call.field)
        for kind, body in bodies.items()
        if kind == "anonymous" or not (kind == HOLDER or operation.viewing)
    }
    assert refused == {
        kind: "AUTHENTICATION_REQUIRED" if kind == "anonymous" else "PERMISSION_DENIED"
        for kind in refused
    }, bodies
    allowed = {kind: body for kind, body in bodies.items() if kind not in refused}
    for body in allowed.values():
        assert "errors" not in body, body
        result: Any = body["data"][call.field]
        assert result, body
        if call.typename is not None:
            assert result["__typename"] == call.typename, result
    if operation.viewing:
        assert allowed["plain user"] == allowed[HOLDER]
        assert "reports:read" in str(allowed["plain user"])


def _documented() -> list[tuple[str, str]]:
    found: dict[tuple[str, str], None] = {}
    for operation, call in GRAPHQL_CASES:
        named = operation.needs[:1] if operation.documents is None else operation.documents
        phrases = (
            ["Requires: authentication"]
            if operation.viewing
            else [f"Requires: the {one.value} permission." for one in named]
        )
        for phrase in phrases:
            found[(call.field, phrase)] = None
    return list(found)


@pytest.mark.parametrize(("field", "phrase"), _documented())
def test_the_schema_documents_what_each_field_needs(field: str, phrase: str) -> None:
    from schema import build_schema

    graphql_schema = build_schema()._schema
    roots = [graphql_schema.query_type, graphql_schema.mutation_type]
    [description] = [
        root.fields[field].description for root in roots if root and field in root.fields
    ]

    assert phrase in (description or "")
