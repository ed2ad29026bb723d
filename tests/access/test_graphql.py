"""Who may call each GraphQL field of the operations table: anonymous
``AUTHENTICATION_REQUIRED``, a signed-in caller without a needed permission
``PERMISSION_DENIED`` (an error or the result's error member), the holder data (every
signed-in caller, for a viewing field); for a per-tenant operation (``tenant_operations``),
another tenant's admin NotFound or null (a list: without the tenant's objects) and the
database unchanged by every refusal; and each field's description names what it needs.
SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.access.operations import GRAPHQL_CASES, Graphql, Operation
from tests.access.tenant_operations import AIMED, TENANT_GRAPHQL_CASES
from tests.access.world import HOLDER, OTHER_TENANT_ADMIN, callers, world
from tests.support.graphql import gql, outcome
from tests.support.snapshot import snapshot

CASES = [*GRAPHQL_CASES, *TENANT_GRAPHQL_CASES]


@pytest.mark.parametrize(("operation", "call"), CASES, ids=[str(call) for _, call in CASES])
async def test_graphql_access(
    app: FastAPI, client: httpx.AsyncClient, operation: Operation, call: Graphql
) -> None:
    # given
    tenant = bool(operation.tenant)
    targets = await world(app, operation.needs[0], tenant=tenant)
    who = await callers(app, operation.needs, operation.also, tenant=tenant)
    variables = call.variables(targets)
    before = await snapshot(app) if tenant else None

    # when
    bodies: dict[str, dict[str, Any]] = {}
    for kind, one in who.items():
        if kind == HOLDER and before is not None:
            assert await snapshot(app) == before, "a refused caller changed something"
        bodies[kind] = await gql(client, call.document, variables, token=one.token if one else None)

    # then
    other = bodies.pop(OTHER_TENANT_ADMIN, None)
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
    if other is not None:
        _not_seen(other, call.field, targets.tenant_objects(), aimed=operation.tenant == AIMED)


def _not_seen(body: dict[str, Any], field: str, objects: list[str], *, aimed: bool) -> None:
    """Another tenant's admin: an aimed call is not found (NotFound, or null for a lookup),
    a list holds none of the tenant's objects."""
    if aimed:
        found = (body.get("data") or {}).get(field)
        lookup_null = found is None and "errors" not in body
        assert lookup_null or outcome(body, field) == "RESOURCE_NOT_FOUND", body
        return
    assert "errors" not in body, body
    assert not set(objects) & set(str(body).split("'")), body


def _documented() -> list[tuple[str, str]]:
    found: dict[tuple[str, str], None] = {}
    for operation, call in CASES:
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
